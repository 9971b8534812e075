/*
 * bus_internal.h - state shared by the EventBus's files: bus.c
 * (lifecycle), bus_read.c (the read cycle, reclaiming), bus_consume.c
 * (dispatch, ACKs, dead letters, de-duplication) and bus_publish.c
 * (publishing, outbox). Not a public
 * header: nothing outside common/bus*.c includes it; its functions are
 * named bus__*.
 */
#ifndef ORCH_BUS_INTERNAL_H
#define ORCH_BUS_INTERNAL_H

#include <stdint.h>
#include <stdio.h>

#include "bus.h"
#include "redis_conn.h"

struct metric;

/* One queued publish. The entry's buffers are owned by the item. */
struct pub_item {
	struct pub_item *next;
	char *stream;
	long maxlen;
	struct bus_entry entry;
	bus_publish_cb cb;
	void *cb_data;
	/* with wait_replicas: the XADD's answer, kept until the WAIT's */
	char id[48];   /* stream id, "" until stored */
	char err[160]; /* the refusal, "" when none */
};

/* Publishing side: an ordered FIFO; items leave it only when Redis stored
 * them. `unsent` points at the first item not yet written to the current
 * connection. With an outbox file, items past the memory bound (and every
 * item after them, to keep order) wait in the file. */
struct bus_pub {
	struct pub_item *head, *tail, *unsent;
	struct pub_item *replied; /* with wait_replicas: next item whose XADD answer is due */
	size_t queued;            /* items in memory */
	int inflight;             /* XADDs awaiting a reply on this connection */
	char *path;               /* outbox file, NULL = memory only */
	FILE *spill;              /* append handle while the file holds items */
	long spill_read;          /* bytes of the file already moved back to memory */
	size_t spilled;           /* items in the file not yet moved back */
	struct metric *m_published, *m_queued, *m_overflow, *m_errors, *m_spilled, *m_not_durable;
};

struct bus_maxlen {
	struct bus_maxlen *next;
	char *event_type;
	long maxlen;
};

struct bus {
	uv_loop_t *loop;
	struct bus_config cfg;
	char prefix[64], service[64], instance[128];
	char consumer[200];
	struct redis_target target;
	struct redis_conn *cmd; /* publishes, ACKs, reclaims, dead letters */
	struct sub *subs;
	struct bus_maxlen *maxlens;
	struct bus_pub pub;
	uv_timer_t ack_timer;
	uv_timer_t stop_timer;
	int started, stopping, closing;
	int pausing;      /* the stop under way is a pause: consuming starts again later */
	int cmd_inflight; /* XACK and dead-letter calls awaiting replies */
	int handles_open;
	void (*stop_done)(void *data);
	void *stop_data;
	int64_t stop_deadline;
};

/* Dead-letter body shared by the scripts: moves entry (id, fields) to the
 * DLQ with its reason and ACKs it. */
#define LUA_DLQ_FN                                                                         \
	"local function dlq(id, fields, reason, n)\n"                                      \
	"  local a = {'XADD', KEYS[2], 'MAXLEN', '~', ARGV[5], '*', 'dlq_reason', reason," \
	"    'dlq_source_stream', KEYS[1], 'dlq_source_id', id, 'dlq_group', ARGV[1],"     \
	"    'dlq_consumer', ARGV[2], 'dlq_deliveries', tostring(n)}\n"                    \
	"  for i = 1, #fields do a[#a + 1] = fields[i] end\n"                              \
	"  redis.call(unpack(a))\n"                                                        \
	"  redis.call('XACK', KEYS[1], ARGV[1], id)\n"                                     \
	"end\n"

enum sub_phase { PH_DOWN, PH_GROUP, PH_OWN, PH_NEW, PH_STOPPED };

/* Two-generation set of 64-bit event id hashes (0 marks an empty slot). */
struct dedupe {
	uint64_t *cur, *old;
	size_t cap, n_cur;
};

struct sub {
	struct sub *next;
	struct bus *b;
	char *type;
	char stream[512], group[512], dlq[512];
	bus_handler_fn fn;
	void *data;
	struct redis_conn *reader;
	int reader_closed;
	int timers_ready; /* claim_timer and retry_timer initialised */
	int retries;      /* failed attempts in a row, for the retry's backoff */
	enum sub_phase phase;
	char own_cursor[64], idle_cursor[64];
	int reading;  /* a read or claim is outstanding on the reader */
	int claiming; /* an idle reclaim is outstanding on the command conn */
	int draining; /* a stop's read of our own pending entries is outstanding */
	int untimed;  /* its events do not move the event clock */
	char drain_cursor[64];
	int inflight;              /* deliveries handed to the handler, not yet finished */
	struct bus_delivery *live; /* those deliveries */
	char *acks;                /* ids to ACK, each NUL-terminated, back to back */
	size_t acks_len, acks_cap;
	int n_acks;
	struct dedupe seen;
	uv_timer_t claim_timer, retry_timer;
	struct metric *m_handled, *m_failed, *m_dlq, *m_dupes, *m_malformed, *m_inflight, *m_lat;
};

/* One allocation: this header, then the raw entry (kept for the
 * dead-letter copy) as nfields name/value pairs of pointers, lengths and
 * NUL-terminated bytes. */
struct bus_delivery {
	struct bus_delivery *prev, *next;
	struct sub *s;
	struct bus_event ev;
	uint64_t hash;
	int nfields;
	char **fields;
	size_t *lens;
	char reason[256];
};

/* bus_consume.c */
int bus__dedupe_init(struct dedupe *d, size_t window);
void bus__dedupe_release(struct dedupe *d);
/* Hands one read or claimed entry (id, flat field array) to the handler. */
void bus__dispatch(struct sub *s, const redisReply *id, const redisReply *fields, unsigned deliveries);
void bus__flush_acks(struct sub *s);

/* bus_read.c */
/* Issues the subscription's next read if it has free handler slots. */
void bus__read(struct sub *s);
/* Reclaims entries idle in any consumer (the subscription's claim timer). */
void bus__claim_timer_cb(uv_timer_t *t);
/* At stop: reads back and handles what was delivered to this consumer but
 * never reached it, so a stopped instance leaves nothing pending. */
void bus__drain(struct sub *s);
/* Logs a failed CLIENT KILL of a reader at stop. */
void bus__kill_reply(struct redis_conn *c, redisReply *r, void *priv);

/* bus.c */
/* Completes bus_stop() once nothing is in flight. */
void bus__check_stopped(struct bus *b);

/* bus_publish.c */
/* Sets up the publishing side (queue, outbox file). 0 or a negative code. */
int bus__pub_init(struct bus *b);
/* Called when the command connection comes up or goes down. */
void bus__pub_on_state(struct bus *b, int connected);
/* Spills unsent items to the outbox file (if any), then frees the queue. */
void bus__pub_release(struct bus *b);

#endif
