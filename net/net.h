/*
 * Network back ends. A NIC model (hw/) and a back end (here) meet as two ends of a
 * link: the NIC hands frames to net_send(), the back end delivers frames to the NIC
 * through the receive callback the NIC registered. Either side may be on any thread;
 * net_send() never blocks and never calls back into the NIC.
 */
#ifndef VMD_NET_NET_H
#define VMD_NET_NET_H

#include <glib.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct NetBackend NetBackend;

/* Returns true if the frame was taken (false: the NIC had no room; it is dropped). */
typedef bool (*NetReceiveFn)(void *opaque, const uint8_t *frame, size_t len);

typedef struct NetUserConfig {
    const char *id;
    char **hostfwd;   /* "tcp:[hostaddr]:hostport-[guestaddr]:guestport", NULL-terminated */
    bool restricted;  /* restrict=on: no connections out of the guest */
} NetUserConfig;

/* -netdev user: libslirp's user-mode stack on a thread of its own (10.0.2.0/24, the
 * host at 10.0.2.2, DNS at 10.0.2.3, DHCP from 10.0.2.15, as QEMU). */
NetBackend *net_user_new(const NetUserConfig *c, GError **error);
void net_backend_free(NetBackend *b);
const char *net_backend_id(const NetBackend *b);

void net_attach(NetBackend *b, NetReceiveFn receive, void *opaque);
/* A frame from the NIC; copied, queued, never blocks. */
void net_send(NetBackend *b, const uint8_t *frame, size_t len);

#endif
