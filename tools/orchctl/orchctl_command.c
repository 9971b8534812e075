/*
 * orchctl_command.c - operator commands to the CEO through Redis, signed
 * (see orchctl_command.h), and the orchctl commands that are nothing else:
 * set-mode and clear-emergency-stop.
 */
#include "orchctl_command.h"

#include <stdio.h>
#include <string.h>

#include "bus_envelope.h"
#include "clock.h"
#include "command_auth.h"
#include "config.h"
#include "json_util.h"
#include "orch.h"
#include "orchctl.h"
#include "orchctl_io.h"

int orchctl_command_key(const struct orchctl_target *t, char *key, size_t keylen)
{
	char err[512];
	if (config_load_command_key(key, keylen, err, sizeof(err)) != 0) {
		fprintf(stderr, "orchctl %s: %s\n", t->cmd, err);
		return ORCH_EINVAL;
	}
	if (!key[0]) {
		fprintf(stderr,
			"orchctl %s: set ORCH_COMMAND_KEY or ORCH_COMMAND_KEY_FILE to the CEO's key: "
			"it accepts only signed commands\n",
			t->cmd);
		return ORCH_EINVAL;
	}
	return 0;
}

json_t *orchctl_ceo_command(redisContext *c, const struct orchctl_target *t, const char *sign_key, json_t *cmd)
{
	json_t *reply = NULL;
	char rid[64], key[160], id[64] = "0-0", ts[40];
	int64_t now_ms = clock_wall_ms();
	bus_uuid7(now_ms, rid);
	json_util_format_ts_us(now_ms * 1000, ts, sizeof(ts));
	if (!cmd || json_object_set_new(cmd, "request_id", json_string(rid)) != 0 ||
	    command_sign(cmd, "ceo_command", sign_key, now_ms) != 0) {
		fprintf(stderr, "orchctl %s: out of memory\n", t->cmd);
		goto out;
	}
	snprintf(key, sizeof(key), "%s:stream:ceo_command_reply", t->prefix);
	redisReply *r = redisCommand(c, "XREVRANGE %s + - COUNT 1", key);
	if (r && r->type == REDIS_REPLY_ARRAY && r->elements)
		snprintf(id, sizeof(id), "%s", r->element[0]->element[0]->str);
	freeReplyObject(r);
	char *text = json_dumps(cmd, JSON_COMPACT);
	r = text ? redisCommand(c,
				"XADD %s:stream:ceo_command * event_type ceo_command payload %s trace_id %s "
				"timestamp %s source orchctl",
				t->prefix,
				text,
				rid,
				ts)
		 : NULL;
	free(text);
	int sent = r && r->type == REDIS_REPLY_STRING;
	freeReplyObject(r);
	if (!sent) {
		fprintf(stderr,
			"orchctl %s: cannot publish on %s:stream:ceo_command: %s\n",
			t->cmd,
			t->prefix,
			c->err ? c->errstr : "Redis refused");
		goto out;
	}
	for (int waited = 0; waited < t->timeout_ms; waited += 100) {
		r = redisCommand(c, "XREAD COUNT 100 BLOCK 100 STREAMS %s %s", key, id);
		const redisReply *entries =
			r && r->type == REDIS_REPLY_ARRAY && r->elements ? r->element[0]->element[1] : NULL;
		for (size_t e = 0; entries && e < entries->elements; e++) {
			snprintf(id, sizeof(id), "%s", entries->element[e]->element[0]->str);
			json_t *p = orchctl_entry(entries->element[e]);
			const char *got = json_string_value(json_object_get(p, "request_id"));
			if (got && !strcmp(got, rid)) {
				freeReplyObject(r);
				reply = p;
				goto out;
			}
			json_decref(p);
		}
		freeReplyObject(r);
	}
	fprintf(stderr,
		"orchctl %s: no answer from the CEO within %d ms (is a ceo running with prefix %s?)\n",
		t->cmd,
		t->timeout_ms,
		t->prefix);
out:
	json_decref(cmd);
	return reply;
}

int orchctl_show_reply(const struct orchctl_target *t, json_t *reply)
{
	const char *status = json_string_value(json_object_get(reply, "status"));
	int ok = status && !strcmp(status, "ok");
	if (ok) {
		const json_t *d = json_object_get(reply, "decision");
		orchctl_print(t, d ? d : reply, NULL);
	} else {
		const char *err = json_string_value(json_object_get(reply, "error"));
		fprintf(stderr, "orchctl %s: the CEO refused: %s\n", t->cmd, err ? err : "(no reason)");
	}
	json_decref(reply);
	return ok ? 0 : ORCHCTL_EXIT_FAILED;
}

/* An operator's command `action` (with MODE when with_mode), --reason and
 * --operator required, signed and sent through Redis; its reply shown. */
static int operator_command(int argc, char **argv, const char *name, const char *action, int with_mode)
{
	struct orchctl_target t;
	int rc = orchctl_target_parse(&t, name, &argc, argv);
	if (rc != 0)
		return rc;
	char prefix[64];
	snprintf(prefix, sizeof(prefix), "orchctl %s: ", name);
	const char *mode = NULL, *reason = NULL, *op = NULL;
	for (int i = 1; i < argc; i++) {
		const char *v = NULL;
		if ((rc = orchctl_take_value(argc, argv, &i, "--reason", prefix, name, &v)))
			return rc;
		if (v) {
			reason = v;
			continue;
		}
		if ((rc = orchctl_take_value(argc, argv, &i, "--operator", prefix, name, &v)))
			return rc;
		if (v) {
			op = v;
			continue;
		}
		if (!with_mode || mode || argv[i][0] == '-')
			return orchctl_usage_error(name, "unexpected argument");
		mode = argv[i];
	}
	if ((with_mode && !mode) || !reason || !*reason || !op || !*op)
		return orchctl_usage_error(
			name, with_mode ? "needs MODE, --reason and --operator" : "needs --reason and --operator");
	static const char *const modes[] = {"EXPANSION", "GROWTH", "DEFENSIVE", "CAPITAL_PRESERVATION", "BLACK_SWAN"};
	int known = !with_mode;
	for (size_t i = 0; with_mode && i < 5; i++)
		known |= !strcmp(mode, modes[i]);
	if (!known)
		return orchctl_usage_error(
			name, "MODE is one of EXPANSION, GROWTH, DEFENSIVE, CAPITAL_PRESERVATION, BLACK_SWAN");
	if (t.api)
		return orchctl_usage_error(name, "the REST API has no endpoint for it; leave out --api to use Redis");
	char key[256];
	if ((rc = orchctl_command_key(&t, key, sizeof(key))) != 0)
		return rc;
	redisContext *c = orchctl_redis(&t);
	if (!c)
		return ORCHCTL_EXIT_FAILED;
	json_t *cmd = json_pack("{s:s, s:s, s:s}", "action", action, "reason", reason, "operator", op);
	if (cmd && with_mode)
		json_object_set_new(cmd, "mode", json_string(mode));
	json_t *reply = orchctl_ceo_command(c, &t, key, cmd);
	redisFree(c);
	return reply ? orchctl_show_reply(&t, reply) : ORCHCTL_EXIT_FAILED;
}

int orchctl_set_mode(int argc, char **argv)
{
	if (orchctl_wants_help(argc, argv)) {
		printf("usage: orchctl set-mode MODE --reason TEXT --operator NAME [options]\n\n"
		       "Puts the CEO in MODE (EXPANSION, GROWTH, DEFENSIVE, CAPITAL_PRESERVATION,\n"
		       "BLACK_SWAN) by an operator's command, recorded with the reason on the\n"
		       "ceo_mode_history stream; from BLACK_SWAN this is the operator's exit. Through\n"
		       "Redis only (the REST API has no endpoint for it), signed with ORCH_COMMAND_KEY\n"
		       "or ORCH_COMMAND_KEY_FILE (the CEO's key).\n\n");
		orchctl_target_usage(stdout);
		orchctl_exit_codes(stdout);
		return 0;
	}
	return operator_command(argc, argv, "set-mode", "set_mode", 1);
}

int orchctl_clear_emergency_stop(int argc, char **argv)
{
	if (orchctl_wants_help(argc, argv)) {
		printf("usage: orchctl clear-emergency-stop --reason TEXT --operator NAME [options]\n\n"
		       "Lifts an emergency stop someone other than the CEO set in the PolicyStore\n"
		       "(emergency_mode true or allow_new_trades false; the CEO holds it until then),\n"
		       "recorded with the reason on the ceo_mode_history stream. Through Redis only,\n"
		       "signed with ORCH_COMMAND_KEY or ORCH_COMMAND_KEY_FILE (the CEO's key).\n\n");
		orchctl_target_usage(stdout);
		orchctl_exit_codes(stdout);
		return 0;
	}
	return operator_command(argc, argv, "clear-emergency-stop", "clear_emergency_stop", 0);
}
