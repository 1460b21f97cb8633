/*
 * Istio's semantics in cluster/mesh.c, one rule at a time. Each test names
 * the Istio source file or documentation page whose rule it follows.
 */
#include <jansson.h>

#include "cluster/cluster.h"
#include "cluster/mesh.h"
#include "tap.h"

/* Add an object written as JSON with single quotes (read as double quotes). */
static void add(struct cluster *c, const char *text)
{
	char *t = xstrdup(text);
	for (char *p = t; *p; p++)
		if (*p == '\'')
			*p = '"';
	json_error_t err;
	json_t *j = json_loads(t, 0, &err);
	if (!j)
		printf("# bad test JSON: %s: %s\n", err.text, t);
	else
		cluster_add(c, j, "", 0);
	free(t);
}

static const char *const kinds[] = {"Pod",         "Service",         "DestinationRule",
                                    "ServiceEntry", "PeerAuthentication", "Sidecar",
                                    "ConfigMap",   "Namespace",       "Node",
                                    "VirtualService"};

static struct cluster *fresh(void)
{
	struct cluster *c = cluster_new();
	add(c, "{'kind': 'Pod', 'metadata': {'name': 'istiod-1', 'namespace': 'istio-system', "
	       "'labels': {'app': 'istiod'}}, 'spec': {'containers': [{'name': 'discovery', "
	       "'image': 'istio/pilot:1.22.3'}]}, 'status': {'phase': 'Running'}}");
	return c;
}

static void loaded(struct cluster *c)
{
	for (size_t i = 0; i < MM_ARRAY_LEN(kinds); i++)
		cluster_mark_loaded(c, kinds[i]);
}

static void dr(struct cluster *c, const char *ns, const char *name, const char *created,
               const char *spec)
{
	char *t = xasprintf("{'kind': 'DestinationRule', 'metadata': {'name': '%s', 'namespace': "
	                    "'%s', 'creationTimestamp': '%s'}, 'spec': %s}",
	                    name, ns, created, spec);
	add(c, t);
	free(t);
}

static void pa(struct cluster *c, const char *ns, const char *name, const char *created,
               const char *spec)
{
	char *t = xasprintf("{'kind': 'PeerAuthentication', 'metadata': {'name': '%s', "
	                    "'namespace': '%s', 'creationTimestamp': '%s'}, 'spec': %s}",
	                    name, ns, created, spec);
	add(c, t);
	free(t);
}

static void pod(struct cluster *c, const char *ns, const char *name, const char *app,
                bool sidecar, const char *node)
{
	char *t = xasprintf("{'kind': 'Pod', 'metadata': {'name': '%s', 'namespace': '%s', "
	                    "'labels': {'app': '%s', 'version': 'v1'}}, 'spec': {%s%s%s'containers': "
	                    "[{'name': 'app'}%s]}, 'status': {'phase': 'Running'}}",
	                    name, ns, app, node ? "'nodeName': '" : "", node ? node : "",
	                    node ? "', " : "", sidecar ? ", {'name': 'istio-proxy'}" : "");
	add(c, t);
	free(t);
}

static const char *lookup(struct cluster *c, const char *fqdn, const char *client_ns)
{
	struct dr_set s;
	return dr_lookup(c, fqdn, client_ns, &s) ? s.v[0]->name : NULL;
}

/* pkg/config/host/name.go (Name.Matches): a leading '*' matches any suffix. */
static void test_hosts(void)
{
	ok(host_matches("*", "reviews.shop.svc.cluster.local"), "'*' covers every host");
	ok(host_matches("*.local", "reviews.shop.svc.cluster.local"), "*.local covers a Service");
	ok(host_matches("*.shop.svc.cluster.local", "reviews.shop.svc.cluster.local"),
	   "*.NS.svc.cluster.local covers the namespace's Services");
	ok(!host_matches("*.shop.svc.cluster.local", "reviews.other.svc.cluster.local"),
	   "... and not another namespace's");
	ok(!host_matches("*.shop", "reviews.shop.svc.cluster.local"),
	   "*.NS does not cover NAME.NS.svc.cluster.local (no completion of wildcards)");
	ok(!host_matches("*.example.com", "example.com"), "*.example.com does not cover example.com");
	ok(host_matches("*.example.com", "a.b.example.com"), "... but any number of labels before");
	ok(host_matches("*.com", "*.example.com"), "a wider wildcard covers a narrower one");
	ok(hosts_overlap("*.example.com", "*.com") && !hosts_overlap("a.com", "b.com"),
	   "two hosts overlap when one covers the other");
	/* pilot/pkg/model/config.go MostSpecificHostMatch; pkg/config/host MoreSpecific */
	ok(host_more_specific("reviews.shop.svc.cluster.local", "*.local"), "exact beats wildcard");
	ok(host_more_specific("*.shop.svc.cluster.local", "*.local"), "a longer wildcard beats a shorter");
	/* pilot/pkg/model ResolveShortnameToFQDN: only names without a dot are completed */
	char *a = host_fqdn("reviews", "shop"), *b = host_fqdn("reviews.shop", "x"),
	     *w = host_fqdn("*", "x");
	is_str(a, "reviews.shop.svc.cluster.local", "a short name is completed in the namespace");
	is_str(b, "reviews.shop", "a dotted name stays as written");
	is_str(w, "*", "'*' stays '*'");
	free(a), free(b), free(w);
}

/* pilot/pkg/model/push_context.go: destinationRule() and setDestinationRules(). */
static void test_dr_choice(void)
{
	struct cluster *c = fresh();
	add(c, "{'kind': 'Service', 'metadata': {'name': 'reviews', 'namespace': 'shop'}, 'spec': {}}");
	dr(c, "istio-system", "mesh", "2024-01-01T00:00:00Z", "{'host': '*.local'}");
	dr(c, "shop", "ns-wide", "2024-01-01T00:00:00Z", "{'host': '*.shop.svc.cluster.local'}");
	dr(c, "client", "client-own", "2024-01-01T00:00:00Z",
	   "{'host': 'reviews.shop.svc.cluster.local'}");
	dr(c, "shop", "private", "2024-01-01T00:00:00Z",
	   "{'host': 'reviews', 'exportTo': ['.']}");
	dr(c, "elsewhere", "far", "2024-01-01T00:00:00Z",
	   "{'host': 'reviews.shop.svc.cluster.local'}");
	loaded(c);
	const char *svc = "reviews.shop.svc.cluster.local";
	is_str(lookup(c, svc, "client"), "client-own", "the client's namespace comes first");
	is_str(lookup(c, svc, "shop"), "private", "in the host's namespace its exact private rule");
	is_str(lookup(c, svc, "other"), "ns-wide",
	       "elsewhere: the host's namespace's exported rules (the private one is not)");
	is_str(lookup(c, "x.y.svc.cluster.local", "other"), "mesh", "then the root namespace's");
	is_str(lookup(c, svc, "elsewhere"), "far",
	       "a third namespace's rule counts for its own clients only");
	is_str(lookup(c, "x.y.svc.cluster.local", "istio-system"), "mesh",
	       "a client in the root namespace falls back to the root's exported rules too");
	cluster_free(c);

	/* the most specific host is chosen before exportTo filters; filtered out, the next namespace */
	c = fresh();
	dr(c, "shop", "narrow", "2024-01-01T00:00:00Z",
	   "{'host': 'reviews.shop.svc.cluster.local', 'exportTo': ['team']}");
	dr(c, "shop", "wide", "2024-01-01T00:00:00Z", "{'host': '*.shop.svc.cluster.local'}");
	dr(c, "istio-system", "mesh", "2024-01-01T00:00:00Z", "{'host': '*.local'}");
	loaded(c);
	is_str(lookup(c, svc, "team"), "narrow", "exportTo naming the client's namespace");
	is_str(lookup(c, svc, "other"), "mesh",
	       "the most specific rule not exported: the step yields nothing, the root's applies");
	cluster_free(c);

	/* meshConfig defaultDestinationRuleExportTo "." makes rules without exportTo private */
	c = fresh();
	add(c, "{'kind': 'ConfigMap', 'metadata': {'name': 'istio', 'namespace': 'istio-system'}, "
	       "'data': {'mesh': 'defaultDestinationRuleExportTo: [\\u0022.\\u0022]'}}");
	dr(c, "shop", "quiet", "2024-01-01T00:00:00Z", "{'host': 'reviews'}");
	loaded(c);
	is_str(lookup(c, svc, "shop"), "quiet", "a private-by-default rule serves its namespace");
	ok(!lookup(c, svc, "other"), "... and no other");
	cluster_free(c);

	/* workloadSelector rules serve the pods they select, never a namespace's lookup */
	c = fresh();
	dr(c, "shop", "selected", "2024-01-01T00:00:00Z",
	   "{'host': 'reviews', 'workloadSelector': {'matchLabels': {'app': 'x'}}}");
	loaded(c);
	ok(!lookup(c, svc, "shop"), "a rule with a workloadSelector is not a namespace's rule");
	cluster_free(c);
}

/* pilot/pkg/model/destination_rule.go: mergeDestinationRule. */
static void test_dr_merge(void)
{
	struct cluster *c = fresh();
	dr(c, "shop", "b-newer", "2024-02-01T00:00:00Z",
	   "{'host': 'reviews', 'trafficPolicy': {'tls': {'mode': 'DISABLE'}}, 'subsets': "
	   "[{'name': 'v1', 'labels': {'version': 'new'}}, {'name': 'v2', 'labels': {'version': "
	   "'v2'}}]}");
	dr(c, "shop", "a-older", "2024-01-01T00:00:00Z",
	   "{'host': 'reviews.shop.svc.cluster.local', 'subsets': [{'name': 'v1', 'labels': "
	   "{'version': 'v1'}}]}");
	dr(c, "shop", "c-other-export", "2024-01-01T00:00:00Z",
	   "{'host': 'reviews', 'exportTo': ['.'], 'subsets': [{'name': 'v3', 'labels': {}}]}");
	loaded(c);
	struct dr_set s;
	ok(dr_lookup(c, "reviews.shop.svc.cluster.local", "shop", &s) && s.n == 2,
	   "two rules for the same host merge; a rule with another exportTo stays apart (1.24)");
	is_str(s.v[0]->name, "a-older", "the oldest leads");
	const struct kobj *owner = NULL;
	json_t *v1 = dr_set_subset(&s, "v1", &owner);
	is_str(owner ? owner->name : NULL, "a-older", "a subset name defined twice: the first wins");
	is_str(jstr(v1, "labels.version"), "v1", "... with its labels");
	ok(dr_set_subset(&s, "v2", &owner) && strcmp(owner->name, "b-newer") == 0,
	   "later rules add their other subsets");
	ok(!dr_set_subset(&s, "v3", NULL), "a rule that did not merge adds nothing");
	ok(dr_set_policy(&s, &owner) && strcmp(owner->name, "b-newer") == 0,
	   "the leader has no trafficPolicy: the next rule's applies");
	cluster_free(c);
}

/* pilot/pkg/networking/core/cluster_traffic_policy.go: selectTrafficPolicyComponents. */
static void test_dr_tls(void)
{
	struct cluster *c = fresh();
	dr(c, "shop", "r", "2024-01-01T00:00:00Z",
	   "{'host': 'reviews', 'trafficPolicy': {'tls': {'mode': 'ISTIO_MUTUAL'}, "
	   "'portLevelSettings': [{'port': {'number': 9080}, 'tls': {'mode': 'DISABLE'}}, "
	   "{'port': {'number': 9090}, 'connectionPool': {}}]}}");
	loaded(c);
	const struct kobj *r = cluster_get(c, "DestinationRule", "shop", "r");
	is_str(dr_tls_mode(r, 9080), "DISABLE", "a port-level tls mode wins for its port");
	is_str(dr_tls_mode(r, 8080), "ISTIO_MUTUAL", "other ports take the rule-wide mode");
	ok(!dr_tls_mode(r, 9090), "a port-level entry without tls does not inherit the rule's");
	cluster_free(c);
}

/* pilot/pkg/security/authn/policy_applier.go: ComposePeerAuthentication. */
static void test_peer_auth(void)
{
	struct cluster *c = fresh();
	pod(c, "shop", "web-1", "web", true, NULL);
	pod(c, "other", "db-1", "db", true, NULL);
	pa(c, "istio-system", "mesh", "2024-01-01T00:00:00Z", "{'mtls': {'mode': 'STRICT'}}");
	pa(c, "istio-system", "mesh-newer", "2024-02-01T00:00:00Z", "{'mtls': {'mode': 'DISABLE'}}");
	pa(c, "istio-system", "root-selector", "2024-01-01T00:00:00Z",
	   "{'selector': {'matchLabels': {'app': 'db'}}, 'mtls': {'mode': 'DISABLE'}}");
	pa(c, "shop", "ns", "2024-01-01T00:00:00Z", "{'mtls': {'mode': 'UNSET'}}");
	pa(c, "shop", "web", "2024-01-01T00:00:00Z",
	   "{'selector': {'matchLabels': {'app': 'web'}}, 'portLevelMtls': {'8080': {'mode': "
	   "'PERMISSIVE'}, '9090': {'mode': 'UNSET'}}}");
	pa(c, "shop", "web-newer", "2024-03-01T00:00:00Z",
	   "{'selector': {'matchLabels': {'app': 'web'}}, 'mtls': {'mode': 'DISABLE'}}");
	loaded(c);
	const struct kobj *web = cluster_get(c, "Pod", "shop", "web-1");
	const struct kobj *db = cluster_get(c, "Pod", "other", "db-1");
	const struct kobj *why = NULL;
	is_str(peer_auth_mode(c, db, 80, &why), "STRICT",
	       "the oldest mesh-wide policy wins; a root-namespace selector policy is ignored");
	is_str(why ? why->name : NULL, "mesh", "... and it is named");
	is_str(peer_auth_mode(c, web, 80, NULL), "STRICT",
	       "UNSET at namespace and workload level inherits the mesh's mode");
	is_str(peer_auth_mode(c, web, 8080, &why), "PERMISSIVE", "the oldest workload policy's port level");
	is_str(why ? why->name : NULL, "web", "... named as the decider");
	is_str(peer_auth_mode(c, web, 9090, NULL), "STRICT", "port-level UNSET inherits the workload's");
	cluster_free(c);

	c = fresh();
	pod(c, "shop", "web-1", "web", true, NULL);
	pa(c, "shop", "ns", "2024-01-01T00:00:00Z",
	   "{'mtls': {'mode': 'STRICT'}, 'portLevelMtls': {'8080': {'mode': 'DISABLE'}}}");
	loaded(c);
	web = cluster_get(c, "Pod", "shop", "web-1");
	is_str(peer_auth_mode(c, web, 8080, NULL), "STRICT",
	       "portLevelMtls of a policy without selector is ignored");
	ok(strcmp(peer_auth_mode(c, cluster_get(c, "Pod", "istio-system", "istiod-1"), 80, NULL),
	          "PERMISSIVE") == 0, "no policy at all: PERMISSIVE");
	cluster_free(c);
}

/* pilot/pkg/xds/endpoints/mtls_checker.go (auto mTLS) and istio.io docs: Mutual TLS Migration. */
static void test_client_tls(void)
{
	struct cluster *c = fresh();
	pod(c, "shop", "mesh-1", "mesh", true, NULL);
	pod(c, "shop", "plain-1", "plain", false, NULL);
	pod(c, "shop", "off-1", "off", true, NULL);
	pa(c, "shop", "off", "2024-01-01T00:00:00Z",
	   "{'selector': {'matchLabels': {'app': 'off'}}, 'mtls': {'mode': 'DISABLE'}}");
	dr(c, "shop", "forced", "2024-01-01T00:00:00Z",
	   "{'host': 'off', 'trafficPolicy': {'tls': {'mode': 'ISTIO_MUTUAL'}}}");
	dr(c, "shop", "legacy-certs", "2024-01-01T00:00:00Z",
	   "{'host': 'plain', 'trafficPolicy': {'tls': {'mode': 'MUTUAL', 'clientCertificate': "
	   "'/etc/certs/cert-chain.pem'}}}");
	loaded(c);
	const struct kobj *mesh = cluster_get(c, "Pod", "shop", "mesh-1");
	const struct kobj *plain = cluster_get(c, "Pod", "shop", "plain-1");
	const struct kobj *off = cluster_get(c, "Pod", "shop", "off-1");
	struct client_tls t;
	mesh_client_tls(c, NULL, NULL, 80, mesh, 80, &t);
	ok(t.automatic && t.istio_certs, "auto mTLS: Istio mutual TLS to a pod with a sidecar");
	mesh_client_tls(c, NULL, NULL, 80, plain, 80, &t);
	is_str(t.mode, "DISABLE", "auto mTLS: plain text to a pod without one");
	ok(!mtls_clash(&t, mesh_server_mtls(c, plain, 80, NULL)), "... which it accepts");
	mesh_client_tls(c, NULL, NULL, 80, off, 80, &t);
	is_str(t.mode, "DISABLE", "auto mTLS: plain text where a PeerAuthentication disables mTLS");
	struct dr_set s;
	dr_lookup(c, "off.shop.svc.cluster.local", "shop", &s);
	mesh_client_tls(c, &s, NULL, 80, off, 80, &t);
	ok(!t.automatic && t.istio_certs, "an explicit ISTIO_MUTUAL is sent whatever the server says");
	is_str(mesh_server_mtls(c, off, 80, NULL), "DISABLE", "the server turned mTLS off");
	ok(mtls_clash(&t, "DISABLE"), "... a clash");
	dr_lookup(c, "plain.shop.svc.cluster.local", "shop", &s);
	mesh_client_tls(c, &s, NULL, 80, plain, 80, &t);
	ok(t.istio_certs && mtls_clash(&t, mesh_server_mtls(c, plain, 80, NULL)),
	   "MUTUAL with Istio's certificate files counts as Istio mTLS; a sidecar-less pod cannot take it");
	cluster_free(c);

	c = fresh();
	add(c, "{'kind': 'ConfigMap', 'metadata': {'name': 'istio', 'namespace': 'istio-system'}, "
	       "'data': {'mesh': 'enableAutoMtls: false'}}");
	pod(c, "shop", "mesh-1", "mesh", true, NULL);
	pa(c, "istio-system", "strict", "2024-01-01T00:00:00Z", "{'mtls': {'mode': 'STRICT'}}");
	loaded(c);
	mesh = cluster_get(c, "Pod", "shop", "mesh-1");
	ok(!mesh_auto_mtls(c), "meshConfig enableAutoMtls false");
	mesh_client_tls(c, NULL, NULL, 80, mesh, 80, &t);
	ok(strcmp(t.mode, "DISABLE") == 0 && mtls_clash(&t, mesh_server_mtls(c, mesh, 80, NULL)),
	   "auto mTLS off and no rule: plain text, which a STRICT server refuses");
	cluster_free(c);
}

/* pilot/pkg/model/sidecar.go and istio.io reference: Sidecar (workloadSelector, egress hosts). */
static void test_sidecar(void)
{
	struct cluster *c = fresh();
	pod(c, "shop", "web-1", "web", true, NULL);
	add(c, "{'kind': 'Sidecar', 'metadata': {'name': 'ns', 'namespace': 'shop'}, 'spec': "
	       "{'egress': [{'hosts': ['./*', 'istio-system/*']}]}}");
	add(c, "{'kind': 'Sidecar', 'metadata': {'name': 'root', 'namespace': 'istio-system'}, "
	       "'spec': {}}");
	loaded(c);
	const struct kobj *web = cluster_get(c, "Pod", "shop", "web-1");
	const struct kobj *sc = sidecar_for_pod(c, web);
	is_str(sc ? sc->name : NULL, "ns", "the namespace's Sidecar before the root's");
	ok(sidecar_imports(sc, "shop", "shop", "reviews.shop.svc.cluster.local"),
	   "'./*' imports the own namespace");
	ok(!sidecar_imports(sc, "shop", "other", "db.other.svc.cluster.local"),
	   "... and not another one");
	cluster_free(c);
}

/* istio.io reference: ServiceEntry hosts and exportTo. */
static void test_service_entry(void)
{
	struct cluster *c = fresh();
	add(c, "{'kind': 'ServiceEntry', 'metadata': {'name': 'ext', 'namespace': 'shop'}, 'spec': "
	       "{'hosts': ['*.example.com'], 'exportTo': ['.']}}");
	loaded(c);
	ok(mesh_service_entry(c, "api.example.com", NULL) != NULL, "a wildcard ServiceEntry host");
	ok(mesh_service_entry(c, "api.example.com", "shop") != NULL, "visible in its namespace");
	ok(!mesh_service_entry(c, "api.example.com", "other"), "exportTo '.' hides it elsewhere");
	cluster_free(c);
}

/*
 * pilot/pkg/serviceregistry/kube/controller (endpoint labels: the node's
 * topology.kubernetes.io/region and zone, topology.istio.io/subzone) and
 * istio.io docs: Locality Load Balancing.
 */
static void test_topology_subsets(void)
{
	struct cluster *c = fresh();
	add(c, "{'kind': 'Node', 'metadata': {'name': 'node-a', 'labels': "
	       "{'topology.kubernetes.io/zone': 'z1'}}}");
	pod(c, "shop", "web-1", "web", true, "node-a");
	pod(c, "shop", "web-2", "web", true, "node-gone");
	loaded(c);
	const struct kobj *w1 = cluster_get(c, "Pod", "shop", "web-1");
	const struct kobj *w2 = cluster_get(c, "Pod", "shop", "web-2");
	json_t *z1 = json_pack("{s:s, s:s}", "app", "web", "topology.kubernetes.io/zone", "z1");
	json_t *z2 = json_pack("{s:s}", "topology.kubernetes.io/zone", "z2");
	json_t *v2 = json_pack("{s:s}", "version", "v2");
	ok(subset_selects_pod(c, z1, w1), "a zone subset selects the pod on a node in that zone");
	ok(!subset_selects_pod(c, z2, w1), "... and not one on a node elsewhere");
	ok(subset_selects_pod(c, z2, w2), "a node the model does not hold: not held against the pod");
	ok(!subset_selects_pod(c, v2, w1), "other labels are the pod's own");
	ok(topology_label("topology.istio.io/network") && !topology_label("app"),
	   "topology labels are known by prefix");
	json_decref(z1), json_decref(z2), json_decref(v2);
	cluster_free(c);
}

int main(void)
{
	test_hosts();
	test_dr_choice();
	test_dr_merge();
	test_dr_tls();
	test_peer_auth();
	test_client_tls();
	test_sidecar();
	test_service_entry();
	test_topology_subsets();
	return done_testing();
}
