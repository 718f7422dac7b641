//go:build ignore

// The Makefile builds this file, with dt.cpp, into lib/libdaftorch.so; cgo
// does not compile it (hence the tag).

// dtdist.cpp: data-parallel training over libtorch's c10d, as torchrun and
// DistributedDataParallel do it: ranks meet through a TCPStore that rank 0
// serves, then ProcessGroupGloo's connections sum the gradients of every
// PPO minibatch (dt_update calls dist_average through dt_model's group).
// Gloo works on host tensors: on CUDA the gradients are copied to the host
// and back.
//
// The sums of training (exchange) run Gloo's algorithms on the calling
// thread, over the process group's own Gloo context and collective tags,
// rather than as ProcessGroupGloo work: that work runs on a worker thread
// of the group's, and handing each exchange to it and back cost two thread
// wake-ups per rank. With few ranks the sum is an all-gather followed by
// a sum in rank order (one round of messages, where Gloo's ring all-reduce
// takes several that depend on each other: 2.5 times faster for the
// 455 KB of the stateless network's gradients, docs/performance.md); with
// more, the ring all-reduce, which sends less. Either way every rank ends
// with the same sum.
//
// The Makefile defines USE_C10D_GLOO when Gloo's headers match the
// libtorch it builds against (Debian's libgloo-dev for Debian's libtorch).
// Without it this file still compiles, and every function reports that
// this backend has no Gloo.

#include "dt.h"

#include <ATen/ATen.h>
#include <c10/util/Exception.h>

#ifdef USE_C10D_GLOO
#include <torch/csrc/distributed/c10d/PrefixStore.hpp>
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>

#include <gloo/allgather.h>
#include <gloo/allreduce.h>
#include <gloo/math.h>
#endif

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace {

char *dist_dup(const std::string &s) {
	char *p = static_cast<char *>(malloc(s.size() + 1));
	memcpy(p, s.c_str(), s.size() + 1);
	return p;
}

template <typename F>
int dist_guard(char **err, F f) {
	try {
		f();
		return 0;
	} catch (const c10::Error &e) {
		if (err) *err = dist_dup(e.what_without_backtrace());
	} catch (const std::exception &e) {
		if (err) *err = dist_dup(e.what());
	} catch (...) {
		if (err) *err = dist_dup("unknown C++ exception");
	}
	return -1;
}

std::vector<uint8_t> bytes(const std::string &s) { return std::vector<uint8_t>(s.begin(), s.end()); }
std::string str(const std::vector<uint8_t> &b) { return std::string(b.begin(), b.end()); }

// what is an exception's message, without the C++ backtrace c10 adds.
std::string what(const std::exception &e) {
	if (auto *c = dynamic_cast<const c10::Error *>(&e)) return c->what_without_backtrace();
	return e.what();
}

// seconds writes a duration as "1 s" or "2.5 s".
std::string seconds(std::chrono::milliseconds d) {
	std::ostringstream o;
	o << double(d.count()) / 1000 << " s";
	return o.str();
}

bool loopback(const std::string &host) {
	return host == "localhost" || host == "::1" || host.rfind("127.", 0) == 0;
}

} // namespace

#ifdef USE_C10D_GLOO
namespace {

// Gloo is ProcessGroupGloo opened up for exchange: its Gloo context (the
// connections to every rank) and its collective tags, which must follow
// the same sequence on every rank, whichever way a collective runs.
class Gloo : public c10d::ProcessGroupGloo {
public:
	using c10d::ProcessGroupGloo::ProcessGroupGloo;
	std::shared_ptr<::gloo::Context> context() { return contexts_.at(0); }
	uint32_t tag() { return nextTag(); }
};

} // namespace
#endif

struct dt_group {
	int rank = 0, world = 1;
	std::chrono::milliseconds timeout{0};
#ifdef USE_C10D_GLOO
	c10::intrusive_ptr<c10d::TCPStore> store;
	c10::intrusive_ptr<Gloo> pg;
	std::vector<float> gathered;    // exchange's all-gather, world x n floats
	std::vector<double> gathered64; // and of doubles
#endif
};

#ifdef USE_C10D_GLOO
namespace {

// meet checks, through the store, that every rank was started with the
// same world size and a rank of its own, and waits until all have come.
// A rank that finds a mismatch records it under daf/error, so that the
// others fail at once with the same message instead of waiting.
void meet(c10d::Store &s, int rank, int world, std::chrono::milliseconds timeout) {
	const std::string me = std::to_string(world);
	if (rank == 0) s.set("daf/world", bytes(me));
	auto fail = [&](const std::string &msg) {
		s.set("daf/error", bytes(msg));
		throw std::runtime_error(msg);
	};
	// get waits for the key up to the store's timeout.
	std::string master = str(s.get("daf/world"));
	if (master != me)
		fail("rank " + std::to_string(rank) + " was started with world size " + me + ", the master (rank 0) with " +
		     master + ": start every rank with the same world size");
	if (s.add("daf/rank/" + std::to_string(rank), 1) != 1)
		fail("two processes were started as rank " + std::to_string(rank) + ": give each rank a different number");
	s.add("daf/joined", 1);
	auto deadline = std::chrono::steady_clock::now() + timeout;
	for (;;) {
		if (s.check({"daf/error"})) throw std::runtime_error(str(s.get("daf/error")));
		int64_t joined = s.add("daf/joined", 0);
		if (joined == world) return;
		if (std::chrono::steady_clock::now() > deadline)
			throw std::runtime_error("only " + std::to_string(joined) + " of " + std::to_string(world) +
			                         " ranks joined within " + seconds(timeout) +
			                         ": start the missing ranks, or a smaller world");
		std::this_thread::sleep_for(std::chrono::milliseconds(5));
	}
}

void run(dt_group *g, c10::intrusive_ptr<c10d::Work> w) {
	if (!w->wait(g->timeout)) throw std::runtime_error("timed out");
}

// Up to this many ranks, exchange all-gathers; beyond, each rank would
// receive world-1 whole buffers, and the ring all-reduce sends less.
constexpr int kGatherWorld = 4;

// exchange replaces p[0, n) by its sum over the group's ranks, on the
// calling thread (see the top of this file). The all-gather's sum runs in
// rank order, so every rank computes the same bits.
template <typename T>
void exchange(dt_group *g, T *p, size_t n, std::vector<T> &gathered) {
	if (g->world == 1 || n == 0) return;
	auto ctx = g->pg->context();
	const uint32_t tag = g->pg->tag();
	if (g->world > kGatherWorld) {
		::gloo::AllreduceOptions o(ctx);
		o.setTag(tag);
		o.setTimeout(g->timeout);
		o.setOutput(p, n);
		o.setReduceFunction(static_cast<void (*)(void *, const void *, const void *, size_t)>(&::gloo::sum<T>));
		::gloo::allreduce(o);
		return;
	}
	gathered.resize(n * size_t(g->world));
	::gloo::AllgatherOptions o(ctx);
	o.setTag(tag);
	o.setTimeout(g->timeout);
	o.setInput(p, n);
	o.setOutput(gathered.data(), gathered.size());
	::gloo::allgather(o);
	const T *x = gathered.data();
	std::copy(x, x + n, p);
	for (int r = 1; r < g->world; r++) {
		const T *y = x + size_t(r) * n;
		for (size_t i = 0; i < n; i++) p[i] += y[i];
	}
}

} // namespace
#endif

// dist_average replaces each tensor by its mean over the group's ranks: one
// exchange of them all, flattened into one host buffer.
void dist_average(dt_group *g, std::vector<at::Tensor> &ts) {
#ifdef USE_C10D_GLOO
	std::vector<at::Tensor> flat;
	flat.reserve(ts.size());
	for (auto &t : ts) flat.push_back(t.reshape({-1}));
	at::Tensor buf = at::cat(flat).to(at::kCPU).contiguous();
	try {
		exchange(g, buf.data_ptr<float>(), size_t(buf.numel()), g->gathered);
	} catch (const std::exception &e) {
		throw std::runtime_error(std::string("gradient all-reduce failed (did another rank stop?): ") + what(e));
	}
	buf.div_(g->world);
	int64_t off = 0;
	for (auto &t : ts) {
		t.copy_(buf.narrow(0, off, t.numel()).view(t.sizes()));
		off += t.numel();
	}
#else
	(void)g;
	(void)ts;
	throw std::runtime_error("this training backend was built without Gloo");
#endif
}

// dist_sum sums a small float or double tensor over the group in place
// (minibatch statistics).
void dist_sum(dt_group *g, at::Tensor &t) {
#ifdef USE_C10D_GLOO
	at::Tensor buf = t.to(at::kCPU).contiguous();
	try {
		if (buf.scalar_type() == at::kDouble)
			exchange(g, buf.data_ptr<double>(), size_t(buf.numel()), g->gathered64);
		else
			exchange(g, buf.data_ptr<float>(), size_t(buf.numel()), g->gathered);
	} catch (const std::exception &e) {
		throw std::runtime_error(std::string("all-reduce failed (did another rank stop?): ") + what(e));
	}
	t = buf.to(t.device());
#else
	(void)g;
	(void)t;
	throw std::runtime_error("this training backend was built without Gloo");
#endif
}

extern "C" {

int dt_gloo_available(void) {
#ifdef USE_C10D_GLOO
	return 1;
#else
	return 0;
#endif
}

dt_group *dt_group_new(const char *host, int port, int rank, int world, int timeout_ms, char **err) {
	auto *g = new dt_group;
	int rc = dist_guard(err, [&] {
#ifdef USE_C10D_GLOO
		g->rank = rank;
		g->world = world;
		g->timeout = std::chrono::milliseconds(timeout_ms);
		const std::string where = std::string(host) + ":" + std::to_string(port);
		c10d::TCPStoreOptions so;
		so.port = uint16_t(port);
		so.isServer = rank == 0;
		so.waitWorkers = false; // meet() waits, and says who is missing
		so.timeout = g->timeout;
		try {
			g->store = c10::make_intrusive<c10d::TCPStore>(host, so);
		} catch (const std::exception &e) {
			std::string msg = what(e);
			if (rank == 0)
				throw std::runtime_error("rank 0 cannot serve the rendezvous on " + where +
				                         " (is the port in use by another run? choose another master port): " + msg);
			throw std::runtime_error("rank " + std::to_string(rank) + " could not reach the master at " + where +
			                         " within " + seconds(g->timeout) + ": " + msg);
		}
		meet(*g->store, rank, world, g->timeout);
		auto opts = c10d::ProcessGroupGloo::Options::create(g->timeout);
		if (const char *ifname = getenv("GLOO_SOCKET_IFNAME"); ifname && *ifname)
			opts->devices.push_back(c10d::ProcessGroupGloo::createDeviceForInterface(ifname));
		else if (loopback(host))
			opts->devices.push_back(c10d::ProcessGroupGloo::createDeviceForHostname("127.0.0.1"));
		else
			opts->devices.push_back(c10d::ProcessGroupGloo::createDefaultDevice());
		opts->threads = 1;
		auto prefixed = c10::make_intrusive<c10d::PrefixStore>("gloo", g->store);
		g->pg = c10::make_intrusive<Gloo>(prefixed, rank, world, opts);
#else
		(void)host;
		(void)port;
		(void)rank;
		(void)world;
		(void)timeout_ms;
		throw std::runtime_error("this training backend was built without Gloo (install libgloo-dev and rebuild it with `make torch-lib`)");
#endif
	});
	if (rc != 0) {
		delete g;
		return nullptr;
	}
	return g;
}

void dt_group_free(dt_group *g) { delete g; }

int dt_group_allreduce_sum(dt_group *g, float *buf, int64_t n, char **err) {
	return dist_guard(err, [&] {
#ifdef USE_C10D_GLOO
		try {
			exchange(g, buf, size_t(n), g->gathered);
		} catch (const std::exception &e) {
			throw std::runtime_error(std::string("all-reduce failed (did another rank stop?): ") + what(e));
		}
#else
		(void)g;
		(void)buf;
		(void)n;
		throw std::runtime_error("this training backend was built without Gloo");
#endif
	});
}

int dt_group_broadcast(dt_group *g, float *buf, int64_t n, int root, char **err) {
	return dist_guard(err, [&] {
#ifdef USE_C10D_GLOO
		std::vector<at::Tensor> ts = {at::from_blob(buf, {n}, at::kFloat)};
		c10d::BroadcastOptions o;
		o.rootRank = root;
		try {
			run(g, g->pg->broadcast(ts, o));
		} catch (const std::exception &e) {
			throw std::runtime_error(std::string("broadcast failed (did another rank stop?): ") + what(e));
		}
#else
		(void)g;
		(void)buf;
		(void)n;
		(void)root;
		throw std::runtime_error("this training backend was built without Gloo");
#endif
	});
}

} // extern "C"
