//go:build ignore

// The Makefile builds this file into lib/libdaftorch.so, which dafscript
// loads on first use (load.go); cgo does not compile it (hence the tag).

// dt.cpp: dafscript's libtorch layer. The network is a list of parameter
// tensors and a forward function written with ATen operators; Adam is
// implemented here too, so that its state is ours to save and restore.
// Whole operations (act on a batch, one PPO minibatch update) run in C++ so
// that Go crosses cgo once per operation.

#include "dt.h"

#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <c10/core/GradMode.h>
#include <c10/core/InferenceMode.h>
#include <torch/csrc/api/include/torch/cuda.h>
#include <torch/csrc/api/include/torch/version.h>

#include <dlfcn.h>
#if defined(__x86_64__)
#include <immintrin.h>
#endif
#include <malloc.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

struct dt_model {
	bool lstm = false, relu = false;
	int obs = 0, hidden = 0, actions = 0, threads = 0;
	// The grid encoding (dt_set_grid): the input rows are `tokens` tokens
	// of [location, feature, value], and the first layer's obs columns are
	// the cells x features of a side x side box.
	int tokens = 0, side = 0, features = 0;
	at::Tensor w1t; // the first layer's weight transposed, for acting on the grid; undefined when stale
	at::Device dev = at::Device(at::kCPU);
	std::vector<at::Tensor> params, exp_avg, exp_avg_sq;
	int64_t step = 0;
	int64_t numel = 0;
	dt_group *group = nullptr; // data-parallel: dt_update averages over its ranks (dtdist.cpp)
};

// dtdist.cpp: dist_average replaces each tensor by its mean over the
// group's ranks; dist_sum sums one over them.
void dist_average(dt_group *g, std::vector<at::Tensor> &ts);
void dist_sum(dt_group *g, at::Tensor &t);

namespace {

// Parameter order (the checkpoint layout, mirrored in Go):
// enc1.weight, enc1.bias, enc2.weight, enc2.bias,
// [lstm.weight_ih, lstm.weight_hh, lstm.bias_ih, lstm.bias_hh,]
// actor.weight, actor.bias, critic.weight, critic.bias.
enum { ENC1_W, ENC1_B, ENC2_W, ENC2_B };

char *dup(const std::string &s) {
	char *p = static_cast<char *>(malloc(s.size() + 1));
	memcpy(p, s.c_str(), s.size() + 1);
	return p;
}

template <typename F>
int guard(char **err, F f) {
	try {
		f();
		return 0;
	} catch (const c10::Error &e) {
		if (err) *err = dup(e.what_without_backtrace());
	} catch (const std::exception &e) {
		if (err) *err = dup(e.what());
	} catch (...) {
		if (err) *err = dup("unknown C++ exception");
	}
	return -1;
}

// blas_symbol finds a function of the libraries this one depends on. Loaded
// with RTLD_LOCAL, they are not in the global scope that RTLD_DEFAULT
// searches, but a handle to this library searches its dependencies.
void *blas_symbol(const char *name) {
	if (void *p = dlsym(RTLD_DEFAULT, name)) return p;
	Dl_info self;
	if (!dladdr(reinterpret_cast<void *>(&blas_symbol), &self) || !self.dli_fname) return nullptr;
	void *h = dlopen(self.dli_fname, RTLD_LAZY | RTLD_NOLOAD);
	if (!h) return nullptr;
	void *p = dlsym(h, name);
	dlclose(h); // drops the reference NOLOAD took; the library stays loaded
	return p;
}

// OpenBLAS keeps a thread pool of its own (all cores by default) whose
// threads spin while they wait: on a busy machine that fights libtorch's
// threads. Give it the count asked for, when the BLAS in use is OpenBLAS.
// Concurrent acts may call this from several threads.
void blas_threads(int n) {
	static std::atomic<int> current{-1};
	using setter = void (*)(int);
	static setter set = reinterpret_cast<setter>(blas_symbol("openblas_set_num_threads"));
	if (set && current.exchange(n) != n) set(n);
}

// single_threaded_openmp gives the calling thread OpenMP teams of one.
// OpenMP's thread count is a setting of each thread: on a thread of our
// own it is all the cores, and libtorch's and OpenBLAS's operators then
// fork teams whose size depends on the load, and so do the last bits of
// their results (an act on two threads gave different numbers from one
// call to the next on a busy machine).
void single_threaded_openmp() {
	using setter = void (*)(int);
	static setter set = reinterpret_cast<setter>(blas_symbol("omp_set_num_threads"));
	if (set) set(1);
}

// blas_spin_less restarts OpenBLAS's thread pool with a timeout of 2^20
// cycles (about 0.3 ms) instead of 2^28 (about 0.1 s): how long its idle
// workers spin, yielding, before they sleep. After an update they spun
// through the rollout, taking turns with the act threads on two cores,
// which made rollouts up to 5 times slower in spells of a second or more.
// OPENBLAS_THREAD_TIMEOUT, when set, is left to rule.
void blas_spin_less() {
	static bool done = [] {
		if (getenv("OPENBLAS_THREAD_TIMEOUT")) return true;
		auto read_env = reinterpret_cast<void (*)()>(blas_symbol("openblas_read_env"));
		auto shutdown = reinterpret_cast<int (*)()>(blas_symbol("blas_thread_shutdown_"));
		if (!read_env || !shutdown) return true;
		setenv("OPENBLAS_THREAD_TIMEOUT", "20", 0);
		read_env();
		unsetenv("OPENBLAS_THREAD_TIMEOUT");
		shutdown(); // the next threaded product starts the pool again
		return true;
	}();
	(void)done;
}

// keep_memory stops glibc from returning freed memory to the system:
// by default, blocks of a few MB (an update's activations) are mapped
// and unmapped, or the heap top trimmed, on every call, and touching them
// again costs a page fault per 4 KB (about a tenth of an update). The
// process keeps its peak heap instead.
void keep_memory() {
	static bool done = [] {
		mallopt(M_MMAP_THRESHOLD, 32 << 20); // the largest glibc accepts
		mallopt(M_TRIM_THRESHOLD, 1 << 30);
		return true;
	}();
	(void)done;
}

// Threads: an update's matrix products, nearly all of its arithmetic, run
// on m->threads OpenBLAS threads; acting splits its rows across as many
// threads of our own (Pool, act_rows), each with a one-thread OpenBLAS.
// libtorch's own operators run on the calling thread: its OpenMP workers
// spin after every parallel region, and on two shared cores a spinning
// OpenMP worker starved OpenBLAS's and made updates 3-4 times slower.
// at::set_num_threads(1) once, not per call: every change rebuilds
// libtorch's pthreadpool.
void use_threads(dt_model *m, bool act = false) {
	// Denormal floats (tiny gradients, Adam's second moments) are slow
	// on x86; flush them to zero on the calling thread.
	at::globalContext().setFlushDenormal(true);
	if (m->threads <= 0) return;
	if (at::get_num_threads() != 1) at::set_num_threads(1);
	blas_threads(act ? 1 : m->threads);
}

// Pool runs the row chunks of an act on threads of its own. Acting is a
// chain of small operators on a few dozen rows: split across threads it
// scales almost linearly, where splitting each operator (OpenMP,
// OpenBLAS) waits on a fork-join per operator. Threads take chunks as
// they come free, so a thread the OS has descheduled (the machine is
// shared) holds up one chunk, not half of the act. Workers spin briefly
// for the next act (a rollout acts again after one simulator step), then
// sleep, so they do not compete with an update's threads.
class Pool {
public:
	// run calls f(i) for i in [0, tasks) on the calling thread and up to
	// threads-1 workers, returns when all calls have returned, and
	// rethrows the first exception. It returns false, running nothing,
	// when the pool is busy (another model acting concurrently): the
	// caller then runs the tasks itself.
	bool run(int tasks, int threads, const std::function<void(int)> &f) {
		std::unique_lock<std::mutex> busy(busy_, std::try_to_lock);
		if (!busy.owns_lock()) return false;
		grow(threads - 1);
		uint64_t gen;
		{
			std::lock_guard<std::mutex> g(mu_);
			gen = ++gen_;
			task_ = &f;
			tasks_ = tasks;
			workers_wanted_ = threads - 1;
			done_.store(0);
			error_ = nullptr;
			claim_.store(gen << 32);
			published_.store(gen);
		}
		cv_.notify_all();
		drain(gen, tasks, f);
		while (done_.load() < tasks) cpu_relax();
		std::lock_guard<std::mutex> g(mu_);
		if (error_) std::rethrow_exception(error_);
		return true;
	}

private:
	static void cpu_relax() {
#if defined(__x86_64__)
		__builtin_ia32_pause();
#endif
	}

	// drain runs the tasks of generation gen that are left. A claim
	// carries its generation, so a worker late for a finished run claims
	// nothing of the next (nor calls the finished run's f).
	void drain(uint64_t gen, int tasks, const std::function<void(int)> &f) {
		for (;;) {
			uint64_t c = claim_.load();
			if (c >> 32 != gen || int(c & 0xffffffff) >= tasks) return;
			if (!claim_.compare_exchange_weak(c, c + 1)) continue;
			try {
				f(int(c & 0xffffffff));
			} catch (...) {
				std::lock_guard<std::mutex> g(mu_);
				if (!error_) error_ = std::current_exception();
			}
			done_.fetch_add(1);
		}
	}

	// grow starts workers up to n; they wait for the next run.
	void grow(int n) {
		while (int(workers_.size()) < n) {
			int id = int(workers_.size());
			uint64_t seen = published_.load();
			workers_.emplace_back([this, id, seen] { work(id, seen); });
			workers_.back().detach(); // lives as long as the process
		}
	}

	void work(int id, uint64_t seen) {
		single_threaded_openmp();
		for (;;) {
			// Wait for the next act: spin for 50 us, then yield the core
			// (to the simulator stepping between acts, or an update's
			// threads) until 2 ms, then sleep. A rollout acts again after
			// one simulator step, 50-300 us.
			auto now = std::chrono::steady_clock::now();
			auto spin = now + std::chrono::microseconds(50), until = now + std::chrono::milliseconds(2);
			for (int i = 0; published_.load() == seen; i++) {
				if (i % 64 != 63) {
					cpu_relax();
					continue;
				}
				now = std::chrono::steady_clock::now();
				if (now > until) {
					std::unique_lock<std::mutex> l(mu_);
					cv_.wait(l, [&] { return published_.load() != seen; });
				} else if (now > spin) {
					std::this_thread::yield();
				}
			}
			const std::function<void(int)> *f;
			int tasks;
			bool wanted;
			{
				std::lock_guard<std::mutex> g(mu_);
				seen = gen_;
				f = task_;
				tasks = tasks_;
				wanted = id < workers_wanted_; // a model with fewer threads
			}
			if (wanted) drain(seen, tasks, *f);
		}
	}

	std::mutex busy_, mu_;
	std::condition_variable cv_;
	std::vector<std::thread> workers_;
	uint64_t gen_ = 0; // under mu_
	std::atomic<uint64_t> published_{0}, claim_{0};
	std::atomic<int> done_{0};
	const std::function<void(int)> *task_ = nullptr; // under mu_, as below
	int tasks_ = 0, workers_wanted_ = 0;
	std::exception_ptr error_;
};

Pool &pool() {
	static Pool *p = new Pool; // never destroyed: its threads are detached
	return *p;
}

// act_rows runs body(lo, hi) over chunks of the n rows, on m->threads
// threads when the model is on the CPU and there are rows enough: chunks
// of at least 64 rows, two per thread at most (fewer rows per chunk cost
// more per row), but one per thread at least when each gets 8 rows. Each
// chunk is computed alone, so results depend on the chunking, which
// depends only on n and the thread count, not on which thread ran what.
void act_rows(dt_model *m, int64_t n, const std::function<void(int64_t, int64_t)> &body) {
	const int threads = m->dev.is_cpu() ? std::max(m->threads, 1) : 1;
	int64_t chunks = std::max<int64_t>(std::min<int64_t>(n / 64, 2 * threads), std::min<int64_t>(threads, n / 8));
	if (chunks <= 1) {
		c10::InferenceMode im;
		body(0, n);
		return;
	}
	std::function<void(int)> f = [&](int i) {
		// Per-thread state: denormal flushing, inference mode.
		at::globalContext().setFlushDenormal(true);
		c10::InferenceMode im;
		body(n * i / chunks, n * (i + 1) / chunks);
	};
	if (!pool().run(int(chunks), threads, f))
		for (int i = 0; i < chunks; i++) f(i);
}

// activation_ applies the activation in place: the matrix product before it
// does not keep its output for the backward pass.
at::Tensor activation_(const dt_model *m, at::Tensor x) { return m->relu ? x.relu_() : x.tanh_(); }

// input_bytes is the size of one observation row: its tokens on the grid,
// else one byte per first-layer column.
int64_t input_bytes(const dt_model *m) { return m->side ? int64_t(m->tokens) * 3 : m->obs; }

// grid_first is the first layer on the grid encoding: the product of the
// egocentric box (one input per cell and feature, the value /255) with the
// first layer, taken as a sum over each row's tokens of value/255 times
// the weight column of its (cell, feature): what Linear(obs, hidden) gives
// on the dense box, at the cost of the tokens an observation holds
// instead of all obs columns. As the box is written, a row's tokens end
// at the first location 255, tokens outside the box are skipped, and of
// two tokens of one cell and feature the later holds. wt is the weight
// transposed (obs, hidden) and contiguous.
at::Tensor grid_first(const dt_model *m, const at::Tensor &wt, const uint8_t *obs, int64_t n) {
	const int64_t T = m->tokens, S = m->side, F = m->features;
	auto idx = at::empty({n * T}, at::kLong);
	auto val = at::empty({n * T}, at::kFloat);
	auto off = at::empty({n}, at::kLong);
	int64_t *I = idx.data_ptr<int64_t>(), *O = off.data_ptr<int64_t>();
	float *V = val.data_ptr<float>();
	std::vector<int64_t> owner(size_t(m->obs), -1); // row that last wrote a column, and where
	std::vector<int64_t> at_(size_t(m->obs));
	int64_t k = 0;
	for (int64_t r = 0; r < n; r++) {
		O[r] = k;
		const uint8_t *row = obs + r * T * 3;
		for (int64_t t = 0; t < T; t++) {
			const int64_t loc = row[3 * t], f = row[3 * t + 1];
			if (loc == 0xFF) break;
			const int64_t y = loc >> 4, x = loc & 15;
			if (y >= S || x >= S || f >= F) continue;
			const int64_t col = (y * S + x) * F + f;
			const float v = float(row[3 * t + 2]) / 255.0f;
			if (owner[col] == r) {
				V[at_[col]] = v;
				continue;
			}
			owner[col] = r;
			at_[col] = k;
			I[k] = col;
			V[k] = v;
			k++;
		}
	}
	idx = idx.narrow(0, 0, k).to(m->dev);
	val = val.narrow(0, 0, k).to(m->dev);
	off = off.to(m->dev);
	auto y = std::get<0>(at::embedding_bag(wt, idx, off, false, 0, false, val));
	return y + m->params[ENC1_B];
}

// encode maps uint8 observations (N rows) on the host to features (N, hidden).
// The /255 scaling rides on the first matrix product (its alpha), so the
// bytes are converted once and never rescaled.
at::Tensor encode(const dt_model *m, const uint8_t *obs, int64_t n) {
	const auto &p = m->params;
	at::Tensor x;
	if (m->side) {
		x = activation_(m, grid_first(m, p[ENC1_W].t().contiguous(), obs, n));
	} else {
		x = at::from_blob(const_cast<uint8_t *>(obs), {n, m->obs}, at::kByte).to(m->dev).to(at::kFloat);
		x = activation_(m, at::addmm(p[ENC1_B], x, p[ENC1_W].t(), 1, 1.0 / 255));
	}
	return activation_(m, at::addmm(p[ENC2_B], x, p[ENC2_W].t()));
}

const at::Tensor &param(const dt_model *m, int i) { return m->params[i]; }
int head(const dt_model *m) { return m->lstm ? 8 : 4; }

// lstm_cell is PyTorch's LSTM cell (gates i, f, g, o) with the input
// projection xg = x W_ih^T + b_ih computed beforehand.
void lstm_cell(const dt_model *m, const at::Tensor &xg, at::Tensor &h, at::Tensor &c) {
	auto gates = xg + at::linear(h, param(m, 5), param(m, 7));
	auto ch = gates.chunk(4, 1);
	auto i = at::sigmoid(ch[0]), f = at::sigmoid(ch[1]), g = at::tanh(ch[2]), o = at::sigmoid(ch[3]);
	c = f * c + i * g;
	h = o * at::tanh(c);
}

at::Tensor host_floats(const float *p, std::vector<int64_t> shape, const at::Device &dev) {
	return at::from_blob(const_cast<float *>(p), shape, at::kFloat).to(dev);
}

void to_host(const at::Tensor &t, float *dst) {
	auto c = t.detach().to(at::kCPU).contiguous();
	memcpy(dst, c.data_ptr<float>(), c.numel() * sizeof(float));
}

at::Tensor host(float *p, std::vector<int64_t> shape) { return at::from_blob(p, shape, at::kFloat); }

// Acting's activations. ATen's tanh and sigmoid (SLEEF, 1 ulp) were a
// fifth of an act; on CPUs with AVX2 and FMA, acting uses a rational
// approximation instead (Eigen's, within 5 ulp of tanh, 9 times faster)
// and one pass for the LSTM cell. The update keeps ATen's operators: the
// log-probabilities it recomputes differ from acting's in the last bits.
namespace fast {

// tanh(x) = x P(x^2) / Q(x^2) on [-7.9, 7.9], where it rounds to +-1
// beyond; x itself below 4e-4.
const float kClamp = 7.90531110763549805f, kTiny = 4e-4f;
const float kA[7] = {4.89352455891786e-03f,  6.37261928875436e-04f, 1.48572235717979e-05f, 5.12229709037114e-08f,
                     -8.60467152213735e-11f, 2.00018790482477e-13f, -2.76076847742355e-16f};
const float kB[4] = {4.89352518554385e-03f, 2.26843463243900e-03f, 1.18534705686654e-04f, 1.19825839466702e-06f};

float tanh1(float x0) {
	if (std::fabs(x0) < kTiny) return x0;
	float x = std::min(std::max(x0, -kClamp), kClamp), x2 = x * x;
	float p = kA[6];
	for (int i = 5; i >= 0; i--) p = std::fma(x2, p, kA[i]);
	float q = kB[3];
	for (int i = 2; i >= 0; i--) q = std::fma(x2, q, kB[i]);
	return x * p / q;
}

float sigmoid1(float x) { return 0.5f + 0.5f * tanh1(0.5f * x); }

#if defined(__x86_64__)
bool available() {
	static bool ok = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
	return ok;
}

__attribute__((target("avx2,fma"))) inline __m256 tanh8(__m256 x0) {
	const __m256 absmask = _mm256_castsi256_ps(_mm256_set1_epi32(0x7fffffff));
	__m256 x = _mm256_min_ps(_mm256_max_ps(x0, _mm256_set1_ps(-kClamp)), _mm256_set1_ps(kClamp));
	__m256 x2 = _mm256_mul_ps(x, x);
	__m256 p = _mm256_set1_ps(kA[6]);
	for (int i = 5; i >= 0; i--) p = _mm256_fmadd_ps(x2, p, _mm256_set1_ps(kA[i]));
	__m256 q = _mm256_set1_ps(kB[3]);
	for (int i = 2; i >= 0; i--) q = _mm256_fmadd_ps(x2, q, _mm256_set1_ps(kB[i]));
	__m256 r = _mm256_div_ps(_mm256_mul_ps(x, p), q);
	__m256 tiny = _mm256_cmp_ps(_mm256_and_ps(x0, absmask), _mm256_set1_ps(kTiny), _CMP_LT_OQ);
	return _mm256_blendv_ps(r, x0, tiny);
}

__attribute__((target("avx2,fma"))) inline __m256 sigmoid8(__m256 x) {
	const __m256 half = _mm256_set1_ps(0.5f);
	return _mm256_fmadd_ps(half, tanh8(_mm256_mul_ps(half, x)), half);
}

__attribute__((target("avx2,fma"))) void tanh_(float *p, int64_t n) {
	int64_t i = 0;
	for (; i + 8 <= n; i += 8) _mm256_storeu_ps(p + i, tanh8(_mm256_loadu_ps(p + i)));
	for (; i < n; i++) p[i] = tanh1(p[i]);
}

// lstm_cell applies PyTorch's LSTM cell to gates (n, 4H: i, f, g, o,
// pre-activation), updating c and h (n, H) in place.
__attribute__((target("avx2,fma"))) void lstm_cell(const float *gates, float *c, float *h, int64_t n, int64_t H) {
	for (int64_t r = 0; r < n; r++) {
		const float *gi = gates + r * 4 * H, *gf = gi + H, *gg = gi + 2 * H, *go = gi + 3 * H;
		float *cr = c + r * H, *hr = h + r * H;
		int64_t j = 0;
		for (; j + 8 <= H; j += 8) {
			__m256 i = sigmoid8(_mm256_loadu_ps(gi + j)), f = sigmoid8(_mm256_loadu_ps(gf + j));
			__m256 g = tanh8(_mm256_loadu_ps(gg + j)), o = sigmoid8(_mm256_loadu_ps(go + j));
			__m256 cn = _mm256_fmadd_ps(f, _mm256_loadu_ps(cr + j), _mm256_mul_ps(i, g));
			_mm256_storeu_ps(cr + j, cn);
			_mm256_storeu_ps(hr + j, _mm256_mul_ps(o, tanh8(cn)));
		}
		for (; j < H; j++) {
			float cn = sigmoid1(gf[j]) * cr[j] + sigmoid1(gi[j]) * tanh1(gg[j]);
			cr[j] = cn;
			hr[j] = sigmoid1(go[j]) * tanh1(cn);
		}
	}
}

#else
bool available() { return false; }
void tanh_(float *, int64_t) {}
void lstm_cell(const float *, float *, float *, int64_t, int64_t) {}
#endif

} // namespace fast

// activation_act is activation_ for acting (no gradients).
at::Tensor activation_act(const dt_model *m, at::Tensor x) {
	if (m->relu || !fast::available() || !x.is_cpu() || !x.is_contiguous()) return activation_(m, x);
	fast::tanh_(x.data_ptr<float>(), x.numel());
	return x;
}

// used_columns is the number of leading input bytes that are not 255 in
// some row: an observation ends in unused tokens, all bytes 255.
int64_t used_columns(const uint8_t *obs, int64_t n, int64_t cols) {
	int64_t used = 0;
	for (int64_t r = 0; r < n; r++) {
		const uint8_t *row = obs + r * cols;
		int64_t k = cols;
		while (k > used && row[k - 1] == 255) k--;
		used = k;
	}
	return used;
}

// encode_act is encode for acting: the columns past the last byte other
// than 255 hold 1 after scaling in every row, so their product with the
// first layer is the sum of those weight columns, added to the bias
// instead of multiplied row by row. Observations use about a third of
// their tokens, so this skips most of the first layer, the largest.
at::Tensor encode_act(const dt_model *m, const uint8_t *obs, int64_t n) {
	const auto &p = m->params;
	if (m->side) {
		auto x = activation_act(m, grid_first(m, m->w1t, obs, n));
		return activation_act(m, at::addmm(p[ENC2_B], x, p[ENC2_W].t()));
	}
	const int64_t k = used_columns(obs, n, m->obs);
	auto x = at::from_blob(const_cast<uint8_t *>(obs), {n, m->obs}, at::kByte).narrow(1, 0, k).to(m->dev).to(at::kFloat);
	auto w = p[ENC1_W].narrow(1, 0, k);
	auto b = k == m->obs ? p[ENC1_B] : p[ENC1_B] + p[ENC1_W].narrow(1, k, m->obs - k).sum(1);
	x = activation_act(m, at::addmm(b, x, w.t(), 1, 1.0 / 255));
	return activation_act(m, at::addmm(p[ENC2_B], x, p[ENC2_W].t()));
}

// act_weights takes the first layer's transposed weight for acting on the
// grid, once after each change of the weights (before the rows are split
// across threads).
void act_weights(dt_model *m) {
	if (!m->side || m->w1t.defined()) return;
	at::NoGradGuard ng;
	m->w1t = m->params[ENC1_W].detach().t().contiguous();
}

// act_forward runs the trunk (and the LSTM step, updating h and c in
// place) on n observations and returns the features (n, hidden).
at::Tensor act_forward(dt_model *m, const uint8_t *obs, int n, float *h, float *c) {
	auto x = encode_act(m, obs, n);
	if (!m->lstm) return x;
	const int64_t H = m->hidden;
	auto hs = host(h, {n, H}), cs = host(c, {n, H});
	auto hd = hs.to(m->dev), cd = cs.to(m->dev);
	// Gates i, f, g, o as PyTorch's LSTM cell, computed in place.
	auto gates = at::addmm(param(m, 6), x, param(m, 4).t());
	gates.addmm_(hd, param(m, 5).t()).add_(param(m, 7));
	if (m->dev.is_cpu() && fast::available()) {
		fast::lstm_cell(gates.data_ptr<float>(), c, h, n, H);
		return hs;
	}
	auto i_f = gates.narrow(1, 0, 2 * H).sigmoid_();
	auto g = gates.narrow(1, 2 * H, H).tanh_();
	auto o = gates.narrow(1, 3 * H, H).sigmoid_();
	auto cn = cd.mul(i_f.narrow(1, H, H)).addcmul_(i_f.narrow(1, 0, H), g);
	auto hn = at::tanh(cn).mul_(o);
	if (m->dev.is_cpu()) {
		cs.copy_(cn);
		hs.copy_(hn);
	} else {
		to_host(cn, c);
		to_host(hn, h);
	}
	return hn;
}

// forward_train runs the network over B segments of T steps (rows b*T+t)
// and returns logits (B*T, actions) and values (B*T).
std::pair<at::Tensor, at::Tensor> forward_train(dt_model *m, const uint8_t *obs, int B, int T, const float *starts,
                                                const float *h0, const float *c0) {
	auto x = encode(m, obs, int64_t(B) * T); // (B*T, hidden)
	if (m->lstm) {
		// unbind, not select per step: select's backward would build a
		// full-size gradient for every step (quadratic in T).
		auto xs = at::linear(x, param(m, 4), param(m, 6)).view({B, T, 4 * m->hidden}).unbind(1);
		at::Tensor h = h0 ? host_floats(h0, {B, m->hidden}, m->dev) : at::zeros({B, m->hidden}, x.options());
		at::Tensor c = c0 ? host_floats(c0, {B, m->hidden}, m->dev) : at::zeros({B, m->hidden}, x.options());
		std::vector<at::Tensor> keep;
		if (starts) keep = (1 - host_floats(starts, {B, T}, m->dev)).unsqueeze(2).unbind(1);
		std::vector<at::Tensor> outs;
		outs.reserve(T);
		for (int t = 0; t < T; t++) {
			if (t > 0 && starts) {
				h = h * keep[t];
				c = c * keep[t];
			}
			lstm_cell(m, xs[t], h, c);
			outs.push_back(h);
		}
		x = at::stack(outs, 1).view({int64_t(B) * T, m->hidden});
	}
	int k = head(m);
	auto logits = at::linear(x, param(m, k), param(m, k + 1));
	auto values = at::linear(x, param(m, k + 2), param(m, k + 3)).squeeze(1);
	return {logits, values};
}

// normalise_advantages scales a minibatch's advantages to mean 0 and
// standard deviation 1: over this minibatch, or in data-parallel training
// over the minibatches of all ranks together. Those take the count, sum
// and sum of squares of every rank's advantages, in double precision so
// that the variance taken from them loses nothing that matters against
// the two passes of one process: given (sums, exchanged by the caller for
// a whole update at once), or exchanged here.
at::Tensor normalise_advantages(dt_model *m, const at::Tensor &adv, const double *given) {
	if (!m->group && !given) return (adv - adv.mean()) / (adv.std() + 1e-8);
	double s[3];
	if (given) {
		std::copy(given, given + 3, s);
	} else {
		auto a = adv.to(at::kDouble);
		auto sums = at::stack({at::scalar_tensor(double(adv.numel()), a.options()), a.sum(), a.pow(2).sum()});
		dist_sum(m->group, sums);
		sums = sums.to(at::kCPU);
		std::copy(sums.data_ptr<double>(), sums.data_ptr<double>() + 3, s);
	}
	const double n = s[0], mean = s[1] / n;
	const double var = std::max(0.0, (s[2] - s[1] * mean) / (n - 1));
	return (adv - mean) / (std::sqrt(var) + 1e-8);
}

void zero_grads(dt_model *m) {
	for (auto &p : m->params) p.mutable_grad() = at::Tensor();
}

} // namespace

extern "C" {

void dt_free_string(char *s) { free(s); }

char *dt_info(void) {
	std::ostringstream o;
	o << "libtorch " << TORCH_VERSION_MAJOR << "." << TORCH_VERSION_MINOR << "." << TORCH_VERSION_PATCH << "\n";
	o << at::get_parallel_info();
	return dup(o.str());
}

int dt_cuda_device_count(void) {
	try {
		return torch::cuda::is_available() ? int(torch::cuda::device_count()) : 0;
	} catch (...) {
		return 0;
	}
}

dt_model *dt_new(int lstm, int obs, int hidden, int actions, int relu, int device, int threads, char **err) {
	auto *m = new dt_model;
	int rc = guard(err, [&] {
		m->lstm = lstm != 0;
		m->relu = relu != 0;
		m->obs = obs;
		m->hidden = hidden;
		m->actions = actions;
		m->threads = threads;
		m->dev = device == 1 ? at::Device(at::kCUDA, 0) : at::Device(at::kCPU);
		keep_memory();
		blas_spin_less();
		use_threads(m);
		std::vector<std::vector<int64_t>> shapes = {{hidden, obs}, {hidden}, {hidden, hidden}, {hidden}};
		if (m->lstm) {
			shapes.push_back({4 * hidden, hidden});
			shapes.push_back({4 * hidden, hidden});
			shapes.push_back({4 * hidden});
			shapes.push_back({4 * hidden});
		}
		shapes.push_back({actions, hidden});
		shapes.push_back({actions});
		shapes.push_back({1, hidden});
		shapes.push_back({1});
		auto opts = at::TensorOptions().dtype(at::kFloat).device(m->dev);
		for (auto &s : shapes) {
			auto p = at::zeros(s, opts);
			p.set_requires_grad(true);
			m->params.push_back(p);
			m->exp_avg.push_back(at::zeros(s, opts));
			m->exp_avg_sq.push_back(at::zeros(s, opts));
			m->numel += p.numel();
		}
	});
	if (rc != 0) {
		delete m;
		return nullptr;
	}
	return m;
}

void dt_free(dt_model *m) { delete m; }

int64_t dt_num_params(dt_model *m) { return m->numel; }

static void get_flat(const std::vector<at::Tensor> &ts, float *dst) {
	for (auto &t : ts) {
		to_host(t, dst);
		dst += t.numel();
	}
}

static void set_flat(dt_model *m, std::vector<at::Tensor> &ts, const float *src) {
	at::NoGradGuard ng;
	for (auto &t : ts) {
		t.copy_(host_floats(src, t.sizes().vec(), at::Device(at::kCPU)));
		src += t.numel();
	}
}

int dt_get_params(dt_model *m, float *dst, char **err) {
	return guard(err, [&] { get_flat(m->params, dst); });
}

int dt_set_params(dt_model *m, const float *src, char **err) {
	return guard(err, [&] {
		set_flat(m, m->params, src);
		m->w1t = at::Tensor();
	});
}

int dt_set_grid(dt_model *m, int tokens, int side, int features, char **err) {
	return guard(err, [&] {
		if (tokens <= 0 || side <= 0 || side > 15 || features <= 0 || int64_t(side) * side * features != m->obs)
			throw std::runtime_error("grid of " + std::to_string(side) + "x" + std::to_string(side) + "x" +
			                         std::to_string(features) + " does not match the first layer's " +
			                         std::to_string(m->obs) + " inputs");
		m->tokens = tokens;
		m->side = side;
		m->features = features;
		m->w1t = at::Tensor();
	});
}

int dt_get_adam(dt_model *m, float *exp_avg, float *exp_avg_sq, int64_t *step, char **err) {
	return guard(err, [&] {
		get_flat(m->exp_avg, exp_avg);
		get_flat(m->exp_avg_sq, exp_avg_sq);
		*step = m->step;
	});
}

int dt_set_adam(dt_model *m, const float *exp_avg, const float *exp_avg_sq, int64_t step, char **err) {
	return guard(err, [&] {
		set_flat(m, m->exp_avg, exp_avg);
		set_flat(m, m->exp_avg_sq, exp_avg_sq);
		m->step = step;
	});
}

// act_trunk runs the network up to its heads on rows [lo, hi) of an act,
// with their slots of the recurrent state.
at::Tensor act_trunk(dt_model *m, const uint8_t *obs, int64_t lo, int64_t hi, float *h, float *c) {
	const int64_t H = m->hidden;
	return act_forward(m, obs + lo * input_bytes(m), hi - lo, h ? h + lo * H : nullptr, c ? c + lo * H : nullptr);
}

// value_head writes the critic's n values for the trunk's output x, on the
// CPU straight into the caller's buffer.
void value_head(dt_model *m, int k, const at::Tensor &x, float *values, int64_t n) {
	if (m->dev.is_cpu()) {
		auto vt = host(values, {n, 1});
		at::addmm_out(vt, param(m, k + 3), x, param(m, k + 2).t());
		return;
	}
	to_host(at::linear(x, param(m, k + 2), param(m, k + 3)).squeeze(1), values);
}

int dt_act(dt_model *m, const uint8_t *obs, int n, float *h, float *c, float *logits, float *values, char **err) {
	return guard(err, [&] {
		use_threads(m, true);
		act_weights(m);
		const int64_t A = m->actions;
		act_rows(m, n, [&](int64_t lo, int64_t hi) {
			const int k = head(m);
			auto x = act_trunk(m, obs, lo, hi, h, c);
			value_head(m, k, x, values + lo, hi - lo);
			if (m->dev.is_cpu()) {
				// Straight into the caller's buffer.
				auto lt = host(logits + lo * A, {hi - lo, A});
				at::addmm_out(lt, param(m, k + 1), x, param(m, k).t());
				return;
			}
			to_host(at::linear(x, param(m, k), param(m, k + 1)), logits + lo * A);
		});
	});
}

// sample draws row i's action from its log-probabilities l (and their
// exponentials p) with the uniform u, or takes the most likely one when
// u is NULL, as dt.h describes.
int sample(const float *l, const float *p, int A, const double *u) {
	int a = 0;
	if (!u) {
		for (int j = 1; j < A; j++)
			if (l[j] > l[a]) a = j;
		return a;
	}
	double sum = 0;
	for (int j = 0; j < A; j++) sum += p[j];
	double r = *u * sum;
	for (int j = 0; j < A; j++) {
		r -= p[j];
		if (r < 0) return j;
	}
	return A - 1;
}

int dt_act_sample(dt_model *m, const uint8_t *obs, int n, float *h, float *c, const double *u, int32_t *actions,
                  float *logprobs, float *values, char **err) {
	return guard(err, [&] {
		use_threads(m, true);
		act_weights(m);
		const int64_t A = m->actions;
		act_rows(m, n, [&](int64_t lo, int64_t hi) {
			const int k = head(m);
			auto x = act_trunk(m, obs, lo, hi, h, c);
			auto lsm = at::log_softmax(at::addmm(param(m, k + 1), x, param(m, k).t()), 1);
			auto probs = lsm.exp().to(at::kCPU).contiguous();
			lsm = lsm.to(at::kCPU).contiguous();
			value_head(m, k, x, values + lo, hi - lo);
			const float *L = lsm.data_ptr<float>(), *P = probs.data_ptr<float>();
			for (int64_t i = lo; i < hi; i++) {
				int64_t off = (i - lo) * A;
				int a = sample(L + off, P + off, int(A), u ? u + i : nullptr);
				actions[i] = a;
				logprobs[i] = L[off + a];
			}
		});
	});
}

// sums_exchange sums a host buffer of doubles over the group on a thread
// of its own, from construction to wait() (or destruction, which waits
// too, so that no exchange outlives the buffer).
struct sums_exchange {
	std::thread th;
	std::exception_ptr err;
	sums_exchange(dt_group *g, double *buf, int64_t n) {
		th = std::thread([this, g, buf, n] {
			try {
				auto t = at::from_blob(buf, {n}, at::kDouble);
				dist_sum(g, t);
			} catch (...) {
				err = std::current_exception();
			}
		});
	}
	void wait() {
		if (th.joinable()) th.join();
		if (err) std::rethrow_exception(std::exchange(err, nullptr));
	}
	~sums_exchange() {
		if (th.joinable()) th.join();
	}
};

int dt_update(dt_model *m, const dt_batch *b, float *stats, char **err) {
	return guard(err, [&] {
		use_threads(m);
		at::AutoGradMode grad(true);
		const int64_t N = int64_t(b->B) * b->T;
		std::unique_ptr<sums_exchange> sums;
		if (b->adv_sums && b->adv_sums_exchange) {
			if (!m->group) throw std::runtime_error("advantage sums to exchange, but the model trains alone");
			sums = std::make_unique<sums_exchange>(m->group, b->adv_sums, b->adv_sums_n);
		}
		auto out = forward_train(m, b->obs, b->B, b->T, b->starts, b->h0, b->c0);
		if (sums) sums->wait();
		auto logp_all = at::log_softmax(out.first, 1);
		auto actions = at::from_blob(const_cast<int32_t *>(b->actions), {N}, at::kInt).to(m->dev).to(at::kLong);
		auto newlogp = logp_all.gather(1, actions.unsqueeze(1)).squeeze(1);
		auto entropy = -(logp_all.exp() * logp_all).sum(1).mean();
		auto oldlogp = host_floats(b->logprobs, {N}, m->dev);
		auto adv = host_floats(b->advantages, {N}, m->dev);
		auto ret = host_floats(b->returns, {N}, m->dev);
		auto oldv = host_floats(b->values, {N}, m->dev);

		auto logratio = newlogp - oldlogp;
		auto ratio = logratio.exp();
		adv = normalise_advantages(m, adv, b->adv_sums);
		auto pg = at::max(-adv * ratio, -adv * at::clamp(ratio, 1 - b->clip, 1 + b->clip)).mean();
		auto v = out.second;
		auto vclipped = oldv + at::clamp(v - oldv, -b->vf_clip, b->vf_clip);
		auto vloss = 0.5 * at::max((v - ret).pow(2), (vclipped - ret).pow(2)).mean();
		auto loss = pg + b->vf_coef * vloss - b->ent_coef * entropy;

		zero_grads(m);
		loss.backward();

		at::NoGradGuard ng;
		auto kl = ((ratio - 1) - logratio).mean();
		auto clipfrac = ((ratio - 1).abs() > b->clip).to(at::kFloat).mean();
		std::vector<at::Tensor> st = {pg.detach(), vloss.detach(), entropy.detach(), kl, clipfrac};
		if (m->group) {
			// Data-parallel: every rank steps with the mean of the ranks'
			// gradients (and reports the mean statistics).
			std::vector<at::Tensor> ts;
			for (auto &p : m->params) ts.push_back(p.grad());
			ts.insert(ts.end(), st.begin(), st.end());
			dist_average(m->group, ts);
		}
		std::vector<at::Tensor> norms;
		for (auto &p : m->params) norms.push_back(p.grad().norm().pow(2));
		double gnorm = at::stack(norms).sum().sqrt().item<double>();
		double coef = b->max_grad_norm / (gnorm + 1e-6);
		// Adam, as torch.optim.Adam without weight decay or amsgrad.
		m->step++;
		double bc1 = 1 - std::pow(double(b->beta1), double(m->step));
		double bc2 = 1 - std::pow(double(b->beta2), double(m->step));
		for (size_t i = 0; i < m->params.size(); i++) {
			auto g = m->params[i].grad();
			if (coef < 1) g.mul_(coef);
			m->exp_avg[i].mul_(b->beta1).add_(g, 1 - b->beta1);
			m->exp_avg_sq[i].mul_(b->beta2).addcmul_(g, g, 1 - b->beta2);
			auto denom = (m->exp_avg_sq[i].sqrt() / std::sqrt(bc2)).add_(b->eps);
			m->params[i].addcdiv_(m->exp_avg[i], denom, -b->lr / bc1);
		}
		zero_grads(m);
		m->w1t = at::Tensor();
		stats[DT_POLICY_LOSS] = st[0].item<float>();
		stats[DT_VALUE_LOSS] = st[1].item<float>();
		stats[DT_ENTROPY] = st[2].item<float>();
		stats[DT_APPROX_KL] = st[3].item<float>();
		stats[DT_CLIP_FRAC] = st[4].item<float>();
		stats[DT_GRAD_NORM] = float(gnorm);
	});
}

int dt_set_group(dt_model *m, dt_group *g, char **err) {
	return guard(err, [&] { m->group = g; });
}

int dt_forward_backward(dt_model *m, const uint8_t *obs, int B, int T, char **err) {
	return guard(err, [&] {
		use_threads(m);
		at::AutoGradMode grad(true);
		auto out = forward_train(m, obs, B, T, nullptr, nullptr, nullptr);
		auto loss = at::log_softmax(out.first, 1).mean() + out.second.pow(2).mean();
		zero_grads(m);
		loss.backward();
		zero_grads(m);
	});
}

} // extern "C"
