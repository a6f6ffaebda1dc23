#!/bin/sh
# policy_api.sh: a policy table that misuses the API does not build, and
# the compiler names the rule (issue 10); the shipped custom-rule example
# builds. Each case compiles only the policy's translation unit.
cd "$(dirname "$0")/../.." || exit 1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp" build/tpolapi-*' EXIT
pass=0 fail=0
t() { # name, policy body, expected text in the compiler's output ("" = builds)
	name=$1; body=$2; want=$3
	f="$tmp/tpolapi-$pass$fail.h"
	printf '%s\n' "$body" >"$f"
	out=$(make -s POLICY="$f" "build/$(basename "$f" .h)/src/policy.o" 2>&1); rc=$?
	if [ -z "$want" ]; then
		[ $rc = 0 ] && ok=1 || ok=0
	else
		[ $rc != 0 ] && printf '%s' "$out" | grep -qF -- "$want" && ok=1 || ok=0
	fi
	if [ $ok = 1 ]; then pass=$((pass + 1)); echo "ok   $name"
	else fail=$((fail + 1)); echo "FAIL $name"; printf '%s\n' "$out" | head -5; fi
}
t "a list where a string is taken does not build" \
  'static const struct rule policy[] = { REQUIRE_LABEL(DENY, LIST("owner")) };' \
  "incompatible pointer type"
t "a validating kind given MUTATE does not build, naming the rule" \
  'static const struct rule policy[] = { REQUIRE_LABEL(MUTATE, "owner") };' \
  "require_label_takes_DENY_WARN_or_AUDIT"
t "ALLOWED_REGISTRIES given MUTATE names its rule" \
  'static const struct rule policy[] = { ALLOWED_REGISTRIES(MUTATE, "r.example.com/") };' \
  "allowed_registries_takes_DENY_WARN_or_AUDIT"
t "a string where key/value are taken does not build" \
  'static const struct rule policy[] = { DEFAULT_LABEL(LIST("k"), "v") };' \
  "incompatible pointer type"
t "an old-style row naming a function does not build" \
  'static const struct rule policy[] = { { DENY, require_label, { .s = "owner" } } };' \
  "require_label"
t "a custom rule with any action builds" \
  'static void f(struct rule_ctx *rc, const struct rule *r) { (void)rc; (void)r; }
static const struct rule policy[] = { CUSTOM(DENY, f), CUSTOM(MUTATE, f, .s = "x") };' ""
for p in policy.h policies/*.h; do
	t "shipped $p builds" "#include \"$(pwd)/$p\"" ""
done
echo "policy_api: $pass passed, $fail failed"
[ $fail = 0 ]
