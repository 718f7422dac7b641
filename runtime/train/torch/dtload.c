//go:build cgo

// dtload.c: the cgo side of the training backend. dt.cpp is built into
// libdaftorch.so and opened with dlopen on first use, so that dafscript does
// not link libtorch, whose loading and static initialisers cost most of a
// second at every start. Every function of dt.h is defined here as a
// trampoline of the same name and signature that calls the library's
// function through a pointer, so Go calls C.dt_* as if dt.cpp were linked.

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dt.h"
#include "dtload.h"

// Every function of dt.h (TestTrampolines compares this list with dt.h).
// Listing a name here without defining its trampoline below fails to link.
#define DT_FUNCS(X)             \
	X(dt_free_string)       \
	X(dt_info)              \
	X(dt_cuda_device_count) \
	X(dt_new)               \
	X(dt_free)              \
	X(dt_set_grid)          \
	X(dt_num_params)        \
	X(dt_get_params)        \
	X(dt_set_params)        \
	X(dt_get_adam)          \
	X(dt_set_adam)          \
	X(dt_act)               \
	X(dt_act_sample)        \
	X(dt_update)            \
	X(dt_forward_backward)  \
	X(dt_gloo_available)    \
	X(dt_group_new)         \
	X(dt_group_free)        \
	X(dt_group_allreduce_sum) \
	X(dt_group_broadcast)   \
	X(dt_set_group)

// p_NAME points to the library's NAME, with the type dt.h declares.
#define DT_POINTER(name) static __typeof__(name) *p_##name;
DT_FUNCS(DT_POINTER)

static const struct {
	const char *name;
	void **ptr;        // &p_NAME
	void (*tramp)(void); // the trampoline NAME
} syms[] = {
#define DT_SYMBOL(name) {#name, (void **)&p_##name, (void (*)(void))name},
	DT_FUNCS(DT_SYMBOL)
};

enum { NSYMS = sizeof syms / sizeof syms[0] };

char *dtl_open(const char *path) {
	void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		const char *e = dlerror();
		return strdup(e ? e : "dlopen failed");
	}
	void *found[NSYMS];
	for (int i = 0; i < NSYMS; i++) {
		dlerror();
		found[i] = dlsym(h, syms[i].name);
		if (!found[i]) {
			// Left loaded: unloading libtorch is not safe.
			const char *fmt = "%s has no function %s: it was built from another version of dt.h";
			size_t n = strlen(fmt) + strlen(path) + strlen(syms[i].name);
			char *msg = malloc(n);
			snprintf(msg, n, fmt, path, syms[i].name);
			return msg;
		}
	}
	for (int i = 0; i < NSYMS; i++) *syms[i].ptr = found[i];
	return NULL;
}

int dtl_count(void) { return NSYMS; }

const char *dtl_name(int i) { return i >= 0 && i < NSYMS ? syms[i].name : NULL; }

int dtl_resolved(int i) {
	return i >= 0 && i < NSYMS && *syms[i].ptr != NULL && *syms[i].ptr != (void *)syms[i].tramp;
}

// The trampolines.

void dt_free_string(char *s) { p_dt_free_string(s); }

char *dt_info(void) { return p_dt_info(); }

int dt_cuda_device_count(void) { return p_dt_cuda_device_count(); }

dt_model *dt_new(int lstm, int obs, int hidden, int actions, int relu, int device, int threads, char **err) {
	return p_dt_new(lstm, obs, hidden, actions, relu, device, threads, err);
}

void dt_free(dt_model *m) { p_dt_free(m); }

int64_t dt_num_params(dt_model *m) { return p_dt_num_params(m); }

int dt_get_params(dt_model *m, float *dst, char **err) { return p_dt_get_params(m, dst, err); }

int dt_set_params(dt_model *m, const float *src, char **err) { return p_dt_set_params(m, src, err); }

int dt_get_adam(dt_model *m, float *exp_avg, float *exp_avg_sq, int64_t *step, char **err) {
	return p_dt_get_adam(m, exp_avg, exp_avg_sq, step, err);
}

int dt_set_grid(dt_model *m, int tokens, int side, int features, char **err) {
	return p_dt_set_grid(m, tokens, side, features, err);
}

int dt_set_adam(dt_model *m, const float *exp_avg, const float *exp_avg_sq, int64_t step, char **err) {
	return p_dt_set_adam(m, exp_avg, exp_avg_sq, step, err);
}

int dt_act(dt_model *m, const uint8_t *obs, int n, float *h, float *c, float *logits, float *values, char **err) {
	return p_dt_act(m, obs, n, h, c, logits, values, err);
}

int dt_act_sample(dt_model *m, const uint8_t *obs, int n, float *h, float *c, const double *u, int32_t *actions,
                  float *logprobs, float *values, char **err) {
	return p_dt_act_sample(m, obs, n, h, c, u, actions, logprobs, values, err);
}

int dt_update(dt_model *m, const dt_batch *b, float *stats, char **err) { return p_dt_update(m, b, stats, err); }

int dt_forward_backward(dt_model *m, const uint8_t *obs, int B, int T, char **err) {
	return p_dt_forward_backward(m, obs, B, T, err);
}

// Data-parallel training (dtdist.cpp).

int dt_gloo_available(void) { return p_dt_gloo_available(); }

dt_group *dt_group_new(const char *host, int port, int rank, int world, int timeout_ms, char **err) {
	return p_dt_group_new(host, port, rank, world, timeout_ms, err);
}

void dt_group_free(dt_group *g) { p_dt_group_free(g); }

int dt_group_allreduce_sum(dt_group *g, float *buf, int64_t n, char **err) {
	return p_dt_group_allreduce_sum(g, buf, n, err);
}

int dt_group_broadcast(dt_group *g, float *buf, int64_t n, int root, char **err) {
	return p_dt_group_broadcast(g, buf, n, root, err);
}

int dt_set_group(dt_model *m, dt_group *g, char **err) { return p_dt_set_group(m, g, err); }
