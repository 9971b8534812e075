/*
 * test_command_auth.c - SHA-256 and HMAC-SHA256 against their published
 * test vectors (FIPS 180-4 examples, RFC 4231), and operator commands:
 * a signed command passes once; a changed field, another event type, a
 * stale or future time, a replayed request_id, one signed before the
 * checker was made, no signature or no key configured are each refused
 * with their reason (issue 18).
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "command_auth.h"
#include "hmac.h"
#include "orch.h"
#include "run_suite.h"

static void hex_of(const unsigned char *b, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", b[i]);
}

static void check_sha256(const void *data, size_t len, size_t repeat, const char *want)
{
	struct sha256 s;
	unsigned char out[SHA256_LEN];
	char hex[65];
	sha256_init(&s);
	for (size_t i = 0; i < repeat; i++)
		sha256_update(&s, data, len);
	sha256_final(&s, out);
	hex_of(out, SHA256_LEN, hex);
	ck_assert_str_eq(hex, want);
}

START_TEST(test_sha256_fips_vectors)
{
	check_sha256("", 0, 1, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	check_sha256("abc", 3, 1, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	const char *m448 = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
	check_sha256(m448, strlen(m448), 1, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
	check_sha256("a", 1, 1000000, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
	/* 55 and 56 bytes: the two sides of the padding's block boundary
	 * (expected values from Python's hashlib) */
	char b[64];
	memset(b, 'x', sizeof(b));
	check_sha256(b, 55, 1, "d5e285683cd4efc02d021a5c62014694958901005d6f71e89e0989fac77e4072");
	check_sha256(b, 56, 1, "04c26261370ee7541549d16dee320c723e3fd14671e66a099afe0a377c16888e");
}
END_TEST

START_TEST(test_hmac_sha256_rfc4231)
{
	unsigned char key1[20], key6[131];
	memset(key1, 0x0b, sizeof(key1));
	memset(key6, 0xaa, sizeof(key6));
	char hex[65];
	hmac_sha256_hex(key1, sizeof(key1), "Hi There", 8, hex);
	ck_assert_str_eq(hex, "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
	hmac_sha256_hex("Jefe", 4, "what do ya want for nothing?", 28, hex);
	ck_assert_str_eq(hex, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
	const char *m6 = "Test Using Larger Than Block-Size Key - Hash Key First";
	hmac_sha256_hex(key6, sizeof(key6), m6, strlen(m6), hex);
	ck_assert_str_eq(hex, "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
	ck_assert(hmac_equal("abcd", "abcd", 4));
	ck_assert(!hmac_equal("abcd", "abce", 4));
}
END_TEST

static const char KEY[] = "a-shared-key-for-operators-0123456789";
static const int64_t NOW = 1767225600000;

static json_t *command(const char *rid)
{
	return json_pack("{s:s, s:s, s:s, s:s, s:s}",
			 "request_id",
			 rid,
			 "action",
			 "set_mode",
			 "mode",
			 "GROWTH",
			 "reason",
			 "test",
			 "operator",
			 "alice");
}

START_TEST(test_command_signed_passes_once_and_tampering_is_refused_issue_18)
{
	struct command_guard *g;
	enum command_refusal r;
	ck_assert_int_eq(command_guard_new(&g, 60000, 16, NOW - 1000), 0);
	char why[200];
	json_t *c = command("r-1");
	ck_assert_int_eq(command_sign(c, "ceo_command", KEY, NOW), 0);
	ck_assert_int_eq(command_verify(g, c, "ceo_command", KEY, NOW + 1000, &r, why, sizeof(why)), 0);
	/* the same command again: a replay */
	ck_assert_int_eq(command_verify(g, c, "ceo_command", KEY, NOW + 2000, &r, why, sizeof(why)), ORCH_EMALFORMED);
	ck_assert_str_eq(why, "refused: request_id r-1 was already used (a replay)");
	ck_assert_int_eq(r, COMMAND_REPLAY);
	/* a field changed after signing */
	json_t *d = command("r-2");
	ck_assert_int_eq(command_sign(d, "ceo_command", KEY, NOW), 0);
	json_object_set_new(d, "mode", json_string("EXPANSION"));
	ck_assert_int_eq(command_verify(g, d, "ceo_command", KEY, NOW, &r, why, sizeof(why)), ORCH_EMALFORMED);
	ck_assert_str_eq(why, "refused: bad signature (not signed with this layer's ORCH_COMMAND_KEY)");
	ck_assert_int_eq(r, COMMAND_BAD_SIGNATURE);
	/* signed for another event type, or with another key */
	json_t *e = command("r-3");
	ck_assert_int_eq(command_sign(e, "other_command", KEY, NOW), 0);
	ck_assert_int_eq(command_verify(g, e, "ceo_command", KEY, NOW, &r, why, sizeof(why)), ORCH_EMALFORMED);
	ck_assert_int_eq(r, COMMAND_BAD_SIGNATURE);
	ck_assert_int_eq(command_sign(e, "ceo_command", "another-key-entirely-0000000", NOW), 0);
	ck_assert_int_eq(command_verify(g, e, "ceo_command", KEY, NOW, &r, why, sizeof(why)), ORCH_EMALFORMED);
	/* too old, too far ahead */
	json_t *f = command("r-4");
	ck_assert_int_eq(command_sign(f, "ceo_command", KEY, NOW - 61000), 0);
	ck_assert_int_eq(command_verify(g, f, "ceo_command", KEY, NOW, &r, why, sizeof(why)), ORCH_EMALFORMED);
	ck_assert_str_eq(why, "refused: signed 61 s ago, beyond the 60 s a command lives");
	ck_assert_int_eq(r, COMMAND_STALE);
	ck_assert_int_eq(command_sign(f, "ceo_command", KEY, NOW + 120000), 0);
	ck_assert_int_eq(command_verify(g, f, "ceo_command", KEY, NOW, &r, why, sizeof(why)), ORCH_EMALFORMED);
	ck_assert_str_eq(why, "refused: signed 120 s ahead, beyond the 60 s a command lives");
	/* unsigned, and no key configured on the checker */
	json_t *u = command("r-5");
	ck_assert_int_eq(command_verify(g, u, "ceo_command", KEY, NOW, &r, why, sizeof(why)), ORCH_EMALFORMED);
	ck_assert_str_eq(why, "refused: not signed (signature, signed_at and request_id are required)");
	ck_assert_int_eq(r, COMMAND_UNSIGNED);
	ck_assert_int_eq(command_sign(u, "ceo_command", KEY, NOW), 0);
	ck_assert_int_eq(command_verify(g, u, "ceo_command", "", NOW, &r, why, sizeof(why)), ORCH_EMALFORMED);
	ck_assert(strstr(why, "no ORCH_COMMAND_KEY") != NULL);
	ck_assert_int_eq(r, COMMAND_NO_KEY);
	ck_assert_str_eq(command_refusal_name(r), "no_key");
	ck_assert_int_eq(command_sign(u, "ceo_command", "", NOW), ORCH_EINVAL);
	/* once its ttl passed, a request_id is forgotten (and the command stale) */
	json_t *c2 = command("r-1");
	ck_assert_int_eq(command_sign(c2, "ceo_command", KEY, NOW + 70000), 0);
	ck_assert_int_eq(command_verify(g, c2, "ceo_command", KEY, NOW + 70000, &r, why, sizeof(why)), 0);
	/* a checker made later (a restarted CEO) knows nothing of what was
	 * accepted before it: it refuses what was signed before it was made */
	struct command_guard *g2;
	ck_assert_int_eq(command_guard_new(&g2, 60000, 16, NOW + 70001), 0);
	ck_assert_int_eq(command_verify(g2, c2, "ceo_command", KEY, NOW + 71000, &r, why, sizeof(why)),
			 ORCH_EMALFORMED);
	ck_assert_int_eq(r, COMMAND_REPLAY);
	ck_assert(strstr(why, "signed before") != NULL);
	command_guard_free(g2);
	json_decref(c);
	json_decref(c2);
	json_decref(d);
	json_decref(e);
	json_decref(f);
	json_decref(u);
	command_guard_free(g);
}
END_TEST

/* A full guard refuses rather than forget an id whose replay it would
 * then let through; room comes back as ids expire. */
START_TEST(test_command_guard_full_refuses_rather_than_forget_issue_18)
{
	struct command_guard *g;
	enum command_refusal r;
	char why[200], rid[16];
	ck_assert_int_eq(command_guard_new(&g, 60000, 3, NOW - 1000), 0);
	json_t *c[4];
	for (int i = 0; i < 4; i++) {
		snprintf(rid, sizeof(rid), "f-%d", i);
		c[i] = command(rid);
		ck_assert_int_eq(command_sign(c[i], "ceo_command", KEY, NOW + i), 0);
	}
	for (int i = 0; i < 3; i++)
		ck_assert_int_eq(command_verify(g, c[i], "ceo_command", KEY, NOW + i, &r, why, sizeof(why)), 0);
	ck_assert_int_eq(command_verify(g, c[3], "ceo_command", KEY, NOW + 3, &r, why, sizeof(why)), ORCH_EMALFORMED);
	ck_assert_int_eq(r, COMMAND_TOO_MANY);
	ck_assert_str_eq(command_refusal_name(r), "too_many");
	ck_assert_str_eq(why, "refused: 3 commands accepted within the last 60 s, as many as are remembered");
	/* each of the three is still a replay */
	for (int i = 0; i < 3; i++) {
		ck_assert_int_eq(command_verify(g, c[i], "ceo_command", KEY, NOW + 10, &r, why, sizeof(why)),
				 ORCH_EMALFORMED);
		ck_assert_int_eq(r, COMMAND_REPLAY);
	}
	/* once the first expired, there is room again */
	ck_assert_int_eq(command_sign(c[3], "ceo_command", KEY, NOW + 60000), 0);
	ck_assert_int_eq(command_verify(g, c[3], "ceo_command", KEY, NOW + 60000, &r, why, sizeof(why)), 0);
	for (int i = 0; i < 4; i++)
		json_decref(c[i]);
	command_guard_free(g);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("command_auth");
	TCase *tc = tcase_create("hmac");
	tcase_add_test(tc, test_sha256_fips_vectors);
	tcase_add_test(tc, test_hmac_sha256_rfc4231);
	tcase_add_test(tc, test_command_signed_passes_once_and_tampering_is_refused_issue_18);
	tcase_add_test(tc, test_command_guard_full_refuses_rather_than_forget_issue_18);
	suite_add_tcase(s, tc);
	return run_suite(s);
}
