/* Detectors of the control plane and of configuration sync (proxy-status). */
#include <stdlib.h>
#include <string.h>

#include "detect/detect.h"
#include "cluster/mesh.h"
#include "cluster/proxystatus.h"

static bool is_istiod(const struct kobj *o)
{
	json_t *labels = jpath(o->j, "metadata.labels");
	const char *app = json_string_value(json_object_get(labels, "app"));
	const char *istio = json_string_value(json_object_get(labels, "istio"));
	return (app && strcmp(app, "istiod") == 0) || (istio && strcmp(istio, "pilot") == 0);
}

/* The control plane is checked whatever the scope: every flow starts there. */
static void control_plane(struct cluster *c, const struct scope *s, struct findings *f)
{
	(void)s;
	const char *check = "control-plane-unhealthy";
	const char *ns = cluster_control_namespace(c);
	/* nothing is concluded from a namespace that was not read */
	if (!need_kind_in(c, f, check, "Pod", ns))
		return;
	const struct kobj_list *pods = cluster_list(c, "Pod", ns);
	size_t istiod = 0;
	for (size_t i = 0; i < pods->n; i++) {
		const struct kobj *p = pods->v[i];
		if (!is_istiod(p))
			continue;
		istiod++;
		if (pod_ready(p))
			continue;
		struct strlist ev = {0};
		const char *phase = jstr(p->j, "status.phase");
		sl_take(&ev, xasprintf("pod %s/%s phase %s, not Ready", ns, p->name,
				       phase ? phase : "unknown"));
		findings_add(f, check, p, &ev, "istiod pod %s is not Ready", p->name);
	}
	if (istiod == 0) {
		struct strlist ev = {0};
		sl_take(&ev, xasprintf("no pod labelled app=istiod in namespace %s", ns));
		char *res = xasprintf("Namespace/%s", ns);
		findings_add_at(f, check, res, &ev, "no istiod pod runs in %s", ns);
		free(res);
	}
}

const struct detector det_control_plane = {"control-plane", "control-plane-unhealthy",
					   control_plane};

/* STALE, or NULL: a rejected update (ERROR) is proxy-config-drift's finding. */
static const char *worst_or_null(const struct proxy_status *r)
{
	const char *w = proxy_status_worst(r);
	return w && strcmp(w, "STALE") == 0 ? w : NULL;
}

static void proxy_stale(struct cluster *c, const struct scope *s, struct findings *f)
{
	const struct proxy_status *rows;
	size_t n;
	const char *why;
	if (!cluster_proxy_status(c, &rows, &n, &why)) {
		findings_skip(f, "proxy-config-stale", why);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		const char *w = worst_or_null(&rows[i]);
		if (!w || !rows[i].ns || (s->ns && strcmp(s->ns, rows[i].ns) != 0) ||
		    (s->pod && strcmp(s->pod, rows[i].pod) != 0))
			continue;
		struct strlist ev = {0};
		sl_take(&ev, xasprintf("proxy-status %s.%s: CDS %s, LDS %s, EDS %s, RDS %s", rows[i].pod,
				       rows[i].ns, rows[i].cds ? rows[i].cds : "-",
				       rows[i].lds ? rows[i].lds : "-", rows[i].eds ? rows[i].eds : "-",
				       rows[i].rds ? rows[i].rds : "-"));
		char *res = xasprintf("Pod/%s/%s", rows[i].ns, rows[i].pod);
		findings_add_at(f, "proxy-config-stale", res, &ev, "the proxy of %s is %s", rows[i].pod,
				w);
		free(res);
	}
}

const struct detector det_proxy_stale = {"proxy-stale", "proxy-config-stale", proxy_stale};

static void proxy_not_connected(struct cluster *c, const struct scope *s, struct findings *f)
{
	const struct proxy_status *rows;
	size_t n;
	const char *why;
	if (!need_kind(c, f, "proxy-not-connected", "Pod"))
		return;
	if (!cluster_proxy_status(c, &rows, &n, &why)) {
		findings_skip(f, "proxy-not-connected", why);
		return;
	}
	const struct kobj_list *pods = cluster_list(c, "Pod", s->ns);
	for (size_t i = 0; i < pods->n; i++) {
		const struct kobj *p = pods->v[i];
		if (!pod_has_sidecar(p) || !pod_running(p) || (s->pod && strcmp(s->pod, p->name)))
			continue;
		size_t k;
		for (k = 0; k < n; k++)
			if (rows[k].ns && strcmp(rows[k].pod, p->name) == 0 && strcmp(rows[k].ns, p->ns) == 0)
				break;
		if (k < n)
			continue;
		struct strlist ev = {0};
		sl_take(&ev, xasprintf("pod %s/%s runs istio-proxy but is not in istioctl proxy-status",
				       p->ns, p->name));
		findings_add(f, "proxy-not-connected", p, &ev,
			     "the sidecar of %s is not connected to istiod", p->name);
	}
}

const struct detector det_proxy_not_connected = {"proxy-not-connected", "proxy-not-connected",
						 proxy_not_connected};
