/* The walk state machine, prepared answers and transcripts, on the test flow set. */
#include <unistd.h>

#include "kb/kb.h"
#include "tap.h"
#include "walk/transcript.h"
#include "walk/walk.h"

static struct mm_kb *mini(void)
{
	struct mm_errors errs = {0};
	struct mm_kb *kb = kb_new();
	char *root = xasprintf("%s/tests/data/mini", top_srcdir());
	kb_load_root(kb, root, &errs);
	kb_check(kb, &probe_catalog, &errs);
	free(root);
	if (errs.n)
		errs_print(&errs, stdout);
	errs_free(&errs);
	return kb;
}

int main(void)
{
	struct mm_kb *kb = mini();
	const struct mm_flow *door = kb_flow(kb, "door");
	if (!ok(door != NULL, "the door flow loads"))
		return done_testing();
	struct walk w;
	char *err = NULL;
	walk_init(&w, kb, door);
	is_str(w.node->id, "locked", "a walk starts at the start node");
	char *q = walk_text(&w, w.node->question);
	is_str(q, "Is the door of <service> in default locked?", "defaults fill placeholders");
	free(q);
	ok(!walk_set_input(&w, "service", "Bad_Name", &err) && strstr(err, "DNS-1123"),
	   "an invalid service name is refused: %s", err);
	free(err), err = NULL;
	ok(!walk_set_input(&w, "colour", "red", &err) && strstr(err, "inputs: namespace, service"),
	   "an undeclared input is refused with the list");
	free(err), err = NULL;
	/* a Service's DNS name sets the service and its namespace; another namespace is refused */
	struct walk f;
	walk_init(&f, kb, door);
	ok(walk_set_input(&f, "service", "web.shop.svc.cluster.local", &err) &&
	       strcmp(walk_input(&f, "service"), "web") == 0 &&
	       strcmp(walk_input(&f, "namespace"), "shop") == 0,
	   "service=web.shop.svc.cluster.local is service web in namespace shop");
	q = walk_text(&f, w.node->question);
	is_str(q, "Is the door of web in shop locked?", "the placeholders show what it resolved to");
	free(q);
	ok(!walk_set_input(&f, "namespace", "prod", &err) && strstr(err, "names namespace 'shop'"),
	   "a later namespace that disagrees is refused: %s", err);
	free(err), err = NULL;
	ok(walk_set_input(&f, "namespace", "shop", &err), "the same namespace again is fine");
	walk_free(&f);
	walk_init(&f, kb, door);
	ok(walk_set_input(&f, "namespace", "prod", &err) &&
	       !walk_set_input(&f, "service", "web.shop", &err) &&
	       strstr(err, "names namespace 'shop', but namespace 'prod' was given") &&
	       strcmp(walk_input(&f, "namespace"), "prod") == 0 && !walk_input(&f, "service"),
	   "service=web.shop after namespace prod is refused and sets nothing: %s", err);
	free(err), err = NULL;
	ok(!walk_set_input(&f, "service", "web.shop.svc.corp", &err), "another cluster domain is refused");
	free(err), err = NULL;
	walk_free(&f);

	ok(walk_set_input(&w, "service", "web", &err), "a valid input is set");
	q = walk_text(&w, "{service}.{namespace} {not an input}");
	is_str(q, "web.default {not an input}", "text substitution");
	free(q);

	ok(!walk_answer(&w, "maybe", BY_USER, NULL, &err) && strstr(err, "choices: yes, no"),
	   "a choice that does not exist is refused");
	free(err), err = NULL;
	struct strlist ev = {0};
	sl_add(&ev, "the handle does not move");
	ok(walk_answer(&w, "yes", BY_PROBE, &ev, &err), "answer yes");
	sl_free(&ev);
	is_str(w.node->id, "key", "yes leads to key");
	ok(walk_answer(&w, "no", BY_USER, NULL, &err) && walk_done(&w), "no key ends the walk");
	is_str(w.diag->id, "no-key", "the diagnosis is no-key");
	ok(w.nsteps == 2 && w.steps[0].by == BY_PROBE && w.steps[0].evidence.n == 1,
	   "steps keep who answered and the evidence");

	walk_back(&w, 0);
	ok(!walk_done(&w) && w.nsteps == 0 && strcmp(w.node->id, "locked") == 0,
	   "back to step 0 asks the first question again");
	walk_answer(&w, "no", BY_USER, NULL, &err);
	walk_answer(&w, "no", BY_USER, NULL, &err);
	ok(w.flow == kb_flow(kb, "window") && strcmp(w.node->id, "open") == 0,
	   "a hand-over continues in the other flow");
	walk_answer(&w, "yes", BY_USER, NULL, &err);
	is_str(w.diag ? w.diag->id : NULL, "use-window", "and reaches its diagnosis");
	walk_back(&w, 1);
	ok(w.flow == door && strcmp(w.node->id, "hinge") == 0 && !w.diag,
	   "back across a hand-over returns to the first flow");

	/* the transcript replays to the same end */
	walk_back(&w, 0);
	walk_answer(&w, "no", BY_USER, NULL, &err);
	walk_answer(&w, "no", BY_USER, NULL, &err);
	walk_answer(&w, "yes", BY_USER, NULL, &err);
	json_t *j = walk_to_json(&w);
	is_str(json_string_value(json_object_get(j, "status")), "diagnosed", "status diagnosed");
	is_str(json_string_value(json_object_get(json_object_get(j, "diagnosis"), "id")), "use-window",
	       "diagnosis id in JSON");
	ok(json_array_size(json_object_get(j, "path")) == 3 && json_is_null(json_object_get(j, "pending")),
	   "three steps, nothing pending");
	char path[] = "/tmp/meshmedic-walk.XXXXXX";
	int fd = mkstemp(path);
	FILE *fp = fdopen(fd, "w");
	json_dumpf(j, fp, JSON_INDENT(2));
	fclose(fp);
	json_decref(j);
	struct answers a = {0};
	struct kvlist inputs = {0};
	struct mm_errors errs = {0};
	char *flow_id = NULL;
	ok(answers_load(path, &a, &inputs, &flow_id, &errs), "the transcript loads as answers");
	is_str(flow_id, "door", "it names its flow");
	is_str(kv_get(&inputs, "service"), "web", "and its inputs");
	is_str(kv_get(&a.file, "window:open"), "yes", "answers are keyed FLOW:NODE");
	struct walk r;
	walk_init(&r, kb, door);
	walk_auto(&r, &a, NULL);
	ok(walk_done(&r) && strcmp(r.diag->id, "use-window") == 0 && r.steps[2].by == BY_ANSWERS,
	   "replaying reaches the same diagnosis, answered by the file");
	walk_free(&r);

	/* --answer wins over the file */
	kv_set(&a.user, "locked", "yes");
	kv_set(&a.user, "key", "yes");
	walk_init(&r, kb, door);
	walk_auto(&r, &a, NULL);
	ok(walk_done(&r) && strcmp(r.diag->id, "wrong-key") == 0 && r.steps[0].by == BY_USER,
	   "a command-line answer overrides the file");
	walk_free(&r);
	ok(answers_check(&a.user, kb, &err) && answers_check(&a.file, kb, &err),
	   "known nodes and choices pass the check");
	kv_set(&a.user, "hinge", "squeaky");
	ok(!answers_check(&a.user, kb, &err) &&
		   strstr(err, "'squeaky' is not a choice of node 'hinge' (choices: yes, no)"),
	   "an unknown choice is caught before walking");
	free(err), err = NULL;
	kv_free(&a.user);
	kv_set(&a.user, "door:nope", "yes");
	ok(!answers_check(&a.user, kb, &err) && strstr(err, "flow 'door' has no node 'nope'"),
	   "an unknown node too");
	free(err), err = NULL;
	kv_free(&a.user);
	kv_set(&a.user, "attic:locked", "yes");
	ok(!answers_check(&a.user, kb, &err) && strstr(err, "no flow 'attic'"), "and an unknown flow");
	free(err), err = NULL;
	answers_free(&a);
	kv_free(&inputs);
	free(flow_id);

	/* an undetermined walk stops at the first unanswered question */
	walk_init(&r, kb, door);
	struct answers some = {0};
	kv_set(&some.user, "locked", "yes");
	walk_auto(&r, &some, NULL);
	ok(!walk_done(&r) && strcmp(r.node->id, "key") == 0 && r.nsteps == 1,
	   "without an answer the walk stops at the question");
	answers_free(&some);
	walk_free(&r);

	fp = fopen(path, "w");
	fputs("{\"answers\": {\"locked\": 3}}", fp);
	fclose(fp);
	ok(!answers_load(path, &a, &inputs, NULL, &errs) && errs.n == 1 && errs.v[0].line == 1 &&
		   errs.v[0].col == 24,
	   "a bad answers file is reported at its position");
	errs_free(&errs);
	answers_free(&a);
	unlink(path);
	walk_free(&w);
	kb_free(kb);
	return done_testing();
}
