// dt.h: the C interface of dafscript's libtorch layer (dt.cpp). Every
// function catches C++ exceptions and reports them through *err, a string
// the caller frees with dt_free_string. Buffers are caller-owned, flat,
// row-major float32 (or uint8 observations) on the host.
#ifndef DAFSCRIPT_DT_H
#define DAFSCRIPT_DT_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct dt_model dt_model;

// One PPO minibatch of B segments of T steps each, segment-major
// (row b*T+t). starts[b*T+t] is 1 when step t begins a new episode, so the
// recurrent state is cleared before it (ignored for t = 0: h0/c0 already
// hold the state the segment began with).
typedef struct {
	const uint8_t *obs;
	const int32_t *actions;
	const float *logprobs, *values, *advantages, *returns, *starts;
	const float *h0, *c0; // B*hidden each; NULL for a stateless policy
	// adv_sums: the count, sum and sum of squares of this minibatch's
	// advantages over every rank of the group, followed by those of the
	// update's later minibatches (adv_sums_n doubles in all); NULL:
	// dt_update takes them itself (exchanging them with the group, when
	// the model has one). With adv_sums_exchange, they are still this
	// rank's own: dt_update sums all adv_sums_n over the group, in place,
	// on another thread while it runs the forward pass, so that the
	// ranks meet for them while they work.
	double *adv_sums;
	int32_t adv_sums_n, adv_sums_exchange;
	int32_t B, T;
	float lr, beta1, beta2, eps;
	float clip, vf_clip, vf_coef, ent_coef, max_grad_norm;
} dt_batch;

// Statistics of one update, in this order.
enum { DT_POLICY_LOSS, DT_VALUE_LOSS, DT_ENTROPY, DT_APPROX_KL, DT_CLIP_FRAC, DT_GRAD_NORM, DT_NSTATS };

void dt_free_string(char *s);
// Library facts: version, parallel backend, devices.
char *dt_info(void);
int dt_cuda_device_count(void);

// dt_new makes a network with zeroed weights; set them with dt_set_params.
// device: 0 cpu, 1 cuda. threads: intra-op threads for every call (0 = leave).
dt_model *dt_new(int lstm, int obs, int hidden, int actions, int relu, int device, int threads, char **err);
void dt_free(dt_model *m);
// dt_set_grid makes the network read each observation row as `tokens`
// tokens of [location, feature, value] placed in a side x side box of
// `features` channels: the first layer's obs inputs are the box's cells x
// features (see grid_first in dt.cpp).
int dt_set_grid(dt_model *m, int tokens, int side, int features, char **err);
int64_t dt_num_params(dt_model *m); // total number of floats
int dt_get_params(dt_model *m, float *dst, char **err);
int dt_set_params(dt_model *m, const float *src, char **err);
// Adam moments (each dt_num_params floats) and its step count.
int dt_get_adam(dt_model *m, float *exp_avg, float *exp_avg_sq, int64_t *step, char **err);
int dt_set_adam(dt_model *m, const float *exp_avg, const float *exp_avg_sq, int64_t step, char **err);

// dt_act runs the network on n observations without gradients: logits
// (n*actions) and values (n). For an lstm, h and c (n*hidden) hold the state
// before the step and are overwritten with the state after it.
int dt_act(dt_model *m, const uint8_t *obs, int n, float *h, float *c, float *logits, float *values, char **err);

// dt_act_sample is dt_act followed by sampling, so that the logits never
// leave libtorch: row i takes the first action whose cumulative probability
// exceeds u[i] * (sum of the probabilities), u[i] in [0, 1), or the most
// likely action when u is NULL. It writes actions (n), their
// log-probabilities (n) and values (n).
int dt_act_sample(dt_model *m, const uint8_t *obs, int n, float *h, float *c, const double *u, int32_t *actions,
                  float *logprobs, float *values, char **err);

// dt_update does one PPO step (loss, backward, gradient clipping, Adam) on
// a minibatch and writes DT_NSTATS statistics.
int dt_update(dt_model *m, const dt_batch *b, float *stats, char **err);

// dt_forward_backward runs the same network forward and backward on B*T
// observations with a plain loss, without optimizer: the raw libtorch cost
// that benchmarks compare the PPO loop with.
int dt_forward_backward(dt_model *m, const uint8_t *obs, int B, int T, char **err);

// ---- Data-parallel training (dtdist.cpp) ----
//
// A group is one process's membership in a data-parallel run of world
// ranks. dt_group_new meets the others through a TCPStore at host:port
// (rank 0 serves it; the others connect), checks that all were started
// with the same world size and distinct ranks, and connects Gloo between
// them. timeout_ms bounds the meeting and every collective operation.
typedef struct dt_group dt_group;

int dt_gloo_available(void); // 1 when this library was built with Gloo
dt_group *dt_group_new(const char *host, int port, int rank, int world, int timeout_ms, char **err);
void dt_group_free(dt_group *g);
// In place: buf becomes the sum of every rank's buf.
int dt_group_allreduce_sum(dt_group *g, float *buf, int64_t n, char **err);
// In place: buf becomes root's buf.
int dt_group_broadcast(dt_group *g, float *buf, int64_t n, int root, char **err);
// dt_set_group makes dt_update train as one rank of g: advantages are
// normalised over the minibatch of all ranks, and the gradients and
// statistics are averaged over the ranks before clipping and Adam. NULL
// trains alone again. g must outlive its use by m.
int dt_set_group(dt_model *m, dt_group *g, char **err);

#ifdef __cplusplus
}
#endif

#endif
