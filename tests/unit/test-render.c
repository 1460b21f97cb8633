/*
 * Rendered fixes (report/render.c): merge patches as RFC 7386 defines them,
 * the YAML that is shown, the line diff, the apiVersion a mesh serves, and
 * renderers on small models: the object is corrected in place, its other
 * fields kept, and the kubectl line makes exactly that change.
 */
#include <jansson.h>

#include "cluster/cluster.h"
#include "base/yamljson.h"
#include "report/render.h"
#include "tap.h"

static json_t *js(const char *text)
{
	char *t = xstrdup(text);
	for (char *p = t; *p; p++)
		if (*p == '\'')
			*p = '"';
	json_error_t err;
	json_t *j = json_loads(t, JSON_DECODE_ANY, &err);
	if (!j)
		printf("# bad test JSON: %s: %s\n", err.text, t);
	free(t);
	return j;
}

/* apply(target, patch) equals want (RFC 7386 appendix A cases). */
static void apply_case(const char *target, const char *patch, const char *want)
{
	json_t *t = js(target), *p = js(patch), *w = js(want);
	json_t *got = merge_patch_apply(t, p);
	char *g = json_dumps(got, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
	ok(json_equal(got, w), "merge patch %s on %s gives %s (got %s)", patch, target, want, g);
	free(g);
	json_decref(t);
	json_decref(p);
	json_decref(w);
	json_decref(got);
}

/* make(from, to) applied to from gives to, and changes nothing else. */
static void roundtrip(const char *from, const char *to, const char *want_patch)
{
	json_t *f = js(from), *t = js(to), *w = js(want_patch);
	json_t *p = merge_patch_make(f, t), *back = merge_patch_apply(f, p);
	char *ps = json_dumps(p, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
	ok(json_equal(p, w), "patch from %s to %s is %s (got %s)", from, to, want_patch, ps);
	ok(json_equal(back, t), "that patch applied to %s gives %s", from, to);
	free(ps);
	json_decref(f);
	json_decref(t);
	json_decref(w);
	json_decref(p);
	json_decref(back);
}

static void yaml_roundtrip(const char *text)
{
	json_t *j = js(text);
	char *y = yaml_of_json(j);
	json_t *back = yaml_first_doc(y);
	ok(json_equal(j, back), "YAML of %s reads back the same", text);
	if (!json_equal(j, back))
		printf("# %s", y);
	free(y);
	json_decref(j);
	json_decref(back);
}

static void add(struct cluster *c, const char *text)
{
	json_t *j = js(text);
	if (j)
		cluster_add(c, j, "", 0);
}

static struct cluster *model(const char *version)
{
	struct cluster *c = cluster_new();
	static const char *const kinds[] = {"Pod", "Service", "DestinationRule", "VirtualService",
	                                    "Gateway", "Namespace"};
	for (size_t i = 0; i < MM_ARRAY_LEN(kinds); i++)
		cluster_mark_loaded(c, kinds[i]);
	if (version)
		cluster_set_istio_version(c, version);
	return c;
}

static bool fix(struct cluster *c, const char *diagnosis, const char *resource, const char *msg,
		struct fix_rendered *r, char **why)
{
	struct finding f = {.diagnosis = (char *)diagnosis, .resource = (char *)resource,
	                    .message = (char *)msg};
	return render_fix(c, &f, r, why);
}

int main(void)
{
	/* RFC 7386, appendix A */
	apply_case("{'a':'b'}", "{'a':'c'}", "{'a':'c'}");
	apply_case("{'a':'b'}", "{'b':'c'}", "{'a':'b','b':'c'}");
	apply_case("{'a':'b'}", "{'a':null}", "{}");
	apply_case("{'a':'b','b':'c'}", "{'a':null}", "{'b':'c'}");
	apply_case("{'a':['b']}", "{'a':'c'}", "{'a':'c'}");
	apply_case("{'a':'c'}", "{'a':['b']}", "{'a':['b']}");
	apply_case("{'a':{'b':'c'}}", "{'a':{'b':'d','c':null}}", "{'a':{'b':'d'}}");
	apply_case("{'a':[{'b':'c'}]}", "{'a':[1]}", "{'a':[1]}");
	apply_case("['a','b']", "['c','d']", "['c','d']");
	apply_case("{'a':'b'}", "['c']", "['c']");
	apply_case("{'e':null}", "{'a':1}", "{'e':null,'a':1}");
	apply_case("[1,2]", "{'a':'b','c':null}", "{'a':'b'}");
	apply_case("{}", "{'a':{'bb':{'ccc':null}}}", "{'a':{'bb':{}}}");

	roundtrip("{'spec':{'a':1,'b':2}}", "{'spec':{'a':1,'b':3}}", "{'spec':{'b':3}}");
	roundtrip("{'spec':{'a':1,'b':2}}", "{'spec':{'a':1}}", "{'spec':{'b':null}}");
	/* a list changes as a whole: a merge patch cannot address one item */
	roundtrip("{'l':[1,2],'k':'x'}", "{'l':[1,2,3],'k':'x'}", "{'l':[1,2,3]}");
	roundtrip("{'a':1}", "{'a':1}", "{}");

	yaml_roundtrip("{'apiVersion':'v1','kind':'Service','metadata':{'name':'a','labels':{}},"
	               "'spec':{'ports':[{'name':'http','port':80},{'port':'8080'}],'x':[]}}");
	yaml_roundtrip("{'s':['true','null','1.5','0x1f','- a','a: b','a #b','',' x','yes','~'],"
	               "'n':[1,-2,1.5,true,false,null],'deep':[[1,[2]],[{'a':{'b':[]}}]],"
	               "'quote':'it\\u0027s \\u0022q\\u0022','nl':'a\\nb','k: x':1}");

	/* the diff: one changed line in the middle, with its context */
	char *d = line_diff("a\nb\nc\nd\ne\nf\ng\nh\n", "a\nb\nc\nd\nE\nf\ng\nh\n", "a/x", "b/x");
	is_str(d, "--- a/x\n+++ b/x\n@@ -2,7 +2,7 @@\n b\n c\n d\n-e\n+E\n f\n g\n h\n",
	       "a changed line is a hunk with three lines of context");
	free(d);
	d = line_diff("a\n", "a\n", "a/x", "b/x");
	ok(d == NULL, "equal texts have no diff");
	free(d);
	d = line_diff("", "x\ny\n", "a/x", "b/x");
	is_str(d, "--- a/x\n+++ b/x\n@@ -0,0 +1,2 @@\n+x\n+y\n", "an addition to an empty text");
	free(d);
	d = line_diff("1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11\n12\n13\n14\n15\n16\n",
	              "1\nX\n3\n4\n5\n6\n7\n8\n9\n10\n11\n12\n13\n14\nY\n16\n", "a/x", "b/x");
	is_str(d,
	       "--- a/x\n+++ b/x\n@@ -1,5 +1,5 @@\n 1\n-2\n+X\n 3\n 4\n 5\n@@ -12,5 +12,5 @@\n 12\n"
	       " 13\n 14\n-15\n+Y\n 16\n",
	       "changes far apart are two hunks");
	free(d);

	/* apiVersion: v1 of Istio's groups only from 1.22 */
	struct cluster *c = model("1.20.3");
	char *a = render_api_version(c, "networking.istio.io/v1");
	is_str(a, "networking.istio.io/v1beta1", "a 1.20.3 mesh gets networking.istio.io/v1beta1");
	free(a);
	a = render_api_version(c, "security.istio.io/v1");
	is_str(a, "security.istio.io/v1beta1", "and security.istio.io/v1beta1");
	free(a);
	a = render_api_version(c, "apps/v1");
	is_str(a, "apps/v1", "other groups keep their version");
	free(a);
	cluster_free(c);
	c = model("1.22.0");
	a = render_api_version(c, "networking.istio.io/v1beta1");
	is_str(a, "networking.istio.io/v1", "a 1.22 mesh gets networking.istio.io/v1");
	free(a);
	cluster_free(c);
	c = model(NULL);
	a = render_api_version(c, "networking.istio.io/v1alpha3");
	is_str(a, "networking.istio.io/v1alpha3", "an unknown version keeps what the cluster gave");
	free(a);
	cluster_free(c);

	/* circuit breaker on a 1.20.3 mesh: the subsets stay, the pending limit joins, v1beta1 */
	c = model("1.20.3");
	add(c, "{'apiVersion':'networking.istio.io/v1','kind':'DestinationRule','metadata':{'name':"
	       "'reviews','namespace':'default','uid':'u-1','resourceVersion':'7','annotations':{"
	       "'kubectl.kubernetes.io/last-applied-configuration':'{}'}},'spec':{'host':'reviews',"
	       "'trafficPolicy':{'connectionPool':{'tcp':{'maxConnections':10}}},'subsets':[{'name':"
	       "'v1','labels':{'version':'v1'}},{'name':'v2','labels':{'version':'v2'}}]},"
	       "'status':{}}");
	struct fix_rendered r;
	char *why;
	bool done = fix(c, "circuit-breaker-no-pending-limit", "DestinationRule/default/reviews",
	                "requests queue", &r, &why);
	ok(done, "circuit-breaker-no-pending-limit is rendered (%s)", why ? why : "");
	if (done) {
		json_t *o = yaml_first_doc(r.object);
		ok(json_array_size(jpath(o, "spec.subsets")) == 2, "the corrected rule keeps both subsets");
		ok(json_integer_value(jpath(o, "spec.trafficPolicy.connectionPool.http."
		                               "http1MaxPendingRequests")) == 10,
		   "and gains http1MaxPendingRequests");
		is_str(jstr(o, "apiVersion"), "networking.istio.io/v1beta1", "served as v1beta1 on 1.20.3");
		ok(!jpath(o, "status") && !jpath(o, "metadata.uid") && !jpath(o, "metadata.annotations"),
		   "without status, uid and the last-applied annotation");
		is_str(r.patch,
		       "kubectl patch destinationrule.networking.istio.io reviews -n default --type merge "
		       "-p '{\"spec\":{\"trafficPolicy\":{\"connectionPool\":{\"http\":{"
		       "\"http1MaxPendingRequests\":10}}}}}'",
		       "the kubectl line patches exactly that field");
		ok(r.diff && strstr(r.diff, "+        http1MaxPendingRequests: 10\n") &&
		       !strstr(r.diff, "-  - name: v1"),
		   "the diff adds the limit and removes no subset");
		json_decref(o);
	}
	fix_rendered_free(&r);
	free(why);

	/* a namespace label is a kubectl label line */
	add(c, "{'apiVersion':'v1','kind':'Namespace','metadata':{'name':'orders'}}");
	done = fix(c, "namespace-not-labeled", "Namespace/orders", "", &r, &why);
	ok(done, "namespace-not-labeled is rendered");
	if (done)
		is_str(r.patch, "kubectl label namespace orders istio-injection=enabled --overwrite",
		       "as kubectl label on the namespace (cluster-scoped: no -n)");
	fix_rendered_free(&r);
	free(why);

	/* the 404: the existing VirtualService answers for its Gateway's host */
	add(c, "{'apiVersion':'networking.istio.io/v1beta1','kind':'Gateway','metadata':{'name':"
	       "'shop','namespace':'default'},'spec':{'selector':{'istio':'ingressgateway'},"
	       "'servers':[{'port':{'number':80,'name':'http','protocol':'HTTP'},'hosts':["
	       "'shop.example.com']}]}}");
	add(c, "{'apiVersion':'networking.istio.io/v1beta1','kind':'VirtualService','metadata':{"
	       "'name':'shop','namespace':'default'},'spec':{'hosts':['shop.example.org'],"
	       "'gateways':['shop'],'http':[{'route':[{'destination':{'host':'web'}}]}]}}");
	done = fix(c, "gateway-host-mismatch", "VirtualService/default/shop",
	           "no host of VirtualService shop matches a host of its Gateway default/shop: 404",
	           &r, &why);
	ok(done, "gateway-host-mismatch is rendered (%s)", why ? why : "");
	if (done) {
		json_t *o = yaml_first_doc(r.object);
		ok(json_array_size(jpath(o, "spec.hosts")) == 2 &&
		       !strcmp(json_string_value(json_array_get(jpath(o, "spec.hosts"), 1)),
		               "shop.example.com"),
		   "the existing VirtualService default/shop gains the Gateway's host");
		ok(json_array_size(jpath(o, "spec.http")) == 1, "its routes are kept");
		json_decref(o);
	}
	fix_rendered_free(&r);
	free(why);

	/* a choice renders nothing, with the reason */
	done = fix(c, "vs-host-conflict", "VirtualService/default/shop", "", &r, &why);
	ok(!done && why && strstr(why, "choice"), "a fix that is a choice is not rendered, and says why");
	fix_rendered_free(&r);
	free(why);
	done = fix(c, "namespace-not-labeled", "Namespace/nowhere", "", &r, &why);
	ok(!done && why && strstr(why, "not among the objects read"),
	   "an object that is not in the model is not corrected");
	fix_rendered_free(&r);
	free(why);
	cluster_free(c);

	/* targetPort: the only container port, but not onto one another Service port sends to */
	c = model("1.22.3");
	add(c, "{'apiVersion':'v1','kind':'Pod','metadata':{'name':'catalog-1','namespace':'shop',"
	       "'labels':{'app':'catalog'}},'spec':{'containers':[{'name':'app','ports':[{'name':"
	       "'http','containerPort':8080}]},{'name':'istio-proxy','ports':[{'containerPort':"
	       "15090}]}]}}");
	add(c, "{'apiVersion':'v1','kind':'Service','metadata':{'name':'catalog','namespace':'shop'},"
	       "'spec':{'selector':{'app':'catalog'},'ports':[{'name':'http','port':8080,'targetPort':"
	       "8080},{'name':'grpc','port':9090,'targetPort':'grpc'}]}}");
	add(c, "{'apiVersion':'v1','kind':'Service','metadata':{'name':'web','namespace':'shop'},"
	       "'spec':{'selector':{'app':'catalog'},'ports':[{'name':'web','port':80,'targetPort':"
	       "'grpc'}]}}");
	done = fix(c, "service-target-port-undeclared", "Service/shop/catalog",
	           "targetPort grpc of port 9090 is a name that no container declares", &r, &why);
	ok(!done && why, "a port is not sent to the container port another Service port uses");
	fix_rendered_free(&r);
	free(why);
	done = fix(c, "service-target-port-undeclared", "Service/shop/web",
	           "targetPort grpc of port 80 is a name that no container declares", &r, &why);
	ok(done && strstr(r.patch, "\"targetPort\":\"http\""),
	   "the only container port (the sidecar's left out), by name as the Service named it");
	fix_rendered_free(&r);
	free(why);

	/* exportTo as an annotation: the misspelt namespace becomes the one meant, by kubectl annotate */
	add(c, "{'apiVersion':'v1','kind':'Namespace','metadata':{'name':'frontend'}}");
	add(c, "{'apiVersion':'v1','kind':'Namespace','metadata':{'name':'shop'}}");
	add(c, "{'apiVersion':'v1','kind':'Service','metadata':{'name':'ledger','namespace':'shop',"
	       "'annotations':{'networking.istio.io/exportTo':'.,frontnd'}},'spec':{'ports':[]}}");
	done = fix(c, "exportto-unknown-namespace", "Service/shop/ledger",
	           "exportTo names namespace frontnd, which does not exist", &r, &why);
	ok(done, "exportTo of a Service is rendered (%s)", why ? why : "");
	if (done)
		is_str(r.patch, "kubectl annotate service ledger -n shop "
		                "networking.istio.io/exportTo=.,frontend --overwrite",
		       "as kubectl annotate with the namespace meant");
	fix_rendered_free(&r);
	free(why);
	cluster_free(c);
	return done_testing();
}
