package train

import (
	"github.com/dafscript/dafscript/runtime/train/torch"
	"github.com/dafscript/dafscript/sim"
)

// rollout collects horizon steps of every agent. With two groups of
// environments, one group steps (in its own goroutine) while the network
// acts on the other, so simulation and inference overlap.
func (t *trainer) rollout() error {
	T := t.horizon
	if len(t.halves) == 1 {
		for s := 0; s < T; s++ {
			if err := t.act(t.halves[0], s); err != nil {
				return err
			}
			t.step(t.halves[0], s)
		}
	} else {
		done := make([]chan any, len(t.halves))
		pending := make([]bool, len(t.halves))
		wait := func(k int) {
			if pending[k] {
				pending[k] = false
				if p := <-done[k]; p != nil {
					panic(p)
				}
			}
		}
		for k := range done {
			done[k] = make(chan any, 1)
		}
		for s := 0; s < T; s++ {
			for k, hf := range t.halves {
				wait(k)
				if err := t.act(hf, s); err != nil {
					for j := range t.halves {
						wait(j)
					}
					return err
				}
				pending[k] = true
				go func(hf *half, s int, done chan any) {
					defer func() { done <- recover() }()
					t.step(hf, s)
				}(hf, s, done[k])
			}
		}
		for k := range t.halves {
			wait(k)
		}
	}
	// Values of the observations after the last step, to bootstrap the
	// returns; the recurrent state is not advanced.
	for _, hf := range t.halves {
		hs := append([]float32(nil), hf.h...)
		cs := append([]float32(nil), hf.c...)
		if err := t.model.Act(hf.obs, hf.n, hs, cs, hf.logits, hf.values); err != nil {
			return err
		}
		copy(t.lastValues[hf.lo:], hf.values)
	}
	return nil
}

// act records the group's observations and recurrent state for step s,
// runs the network and samples the actions.
func (t *trainer) act(hf *half, s int) error {
	T, O, H := t.horizon, sim.ObsSize, t.cfg.Hidden
	perAgent := T / t.bptt
	for i := 0; i < hf.n; i++ {
		a := hf.lo + i
		row := a*T + s
		copy(t.obs[row*O:(row+1)*O], hf.obs[i*O:(i+1)*O])
		t.starts[row] = b2f(hf.prevTerm[i])
		if t.cfg.LSTM && s%t.bptt == 0 {
			seg := a*perAgent + s/t.bptt
			copy(t.h0[seg*H:(seg+1)*H], hf.h[i*H:(i+1)*H])
			copy(t.c0[seg*H:(seg+1)*H], hf.c[i*H:(i+1)*H])
		}
	}
	// Sampling happens in libtorch, from one uniform per agent drawn here.
	for i := range hf.u {
		hf.u[i] = hf.rngs[i].Float64()
	}
	if err := t.model.ActSample(hf.obs, hf.n, hf.h, hf.c, hf.u, hf.actions, hf.logp, hf.values); err != nil {
		return err
	}
	for i := 0; i < hf.n; i++ {
		row := (hf.lo+i)*T + s
		t.actions[row], t.logp[row], t.values[row] = hf.actions[i], hf.logp[i], hf.values[i]
	}
	return nil
}

// step advances the group's environments and records rewards and ends of
// episodes; an agent whose episode ended starts the next with a cleared
// recurrent state.
func (t *trainer) step(hf *half, s int) {
	hf.vec.Step(hf.actions, hf.obs, hf.rewards, hf.terms)
	H := t.cfg.Hidden
	for i := 0; i < hf.n; i++ {
		row := (hf.lo+i)*t.horizon + s
		t.rewards[row] = hf.rewards[i]
		t.terms[row] = b2f(hf.terms[i])
		hf.prevTerm[i] = hf.terms[i]
		if hf.terms[i] && t.cfg.LSTM {
			clear(hf.h[i*H : (i+1)*H])
			clear(hf.c[i*H : (i+1)*H])
		}
	}
}

func b2f(b bool) float32 {
	if b {
		return 1
	}
	return 0
}

// gae computes advantages and returns (generalised advantage estimation)
// per agent, bootstrapping from the value after the rollout.
func (t *trainer) gae() {
	T := t.horizon
	gamma, lambda := float32(t.h["gamma"]), float32(t.h["gae_lambda"])
	for a := 0; a < t.numAgents; a++ {
		next := t.lastValues[a]
		var g float32
		for s := T - 1; s >= 0; s-- {
			row := a*T + s
			nonterm := 1 - t.terms[row]
			delta := t.rewards[row] + gamma*next*nonterm - t.values[row]
			g = delta + gamma*lambda*nonterm*g
			t.adv[row] = g
			t.ret[row] = g + t.values[row]
			next = t.values[row]
		}
	}
}

// update runs update_epochs passes of PPO over the rollout in shuffled
// minibatches of whole segments and returns the mean statistics.
func (t *trainer) update() (CurvePoint, error) {
	h := t.h
	epochs := h.int("update_epochs")
	lr := h["learning_rate"]
	if h["anneal_lr"] == 1 {
		lr *= 1 - float64(t.state.Update)/float64(t.total)
	}
	mb := &t.mb
	mb.LR, mb.Beta1, mb.Beta2, mb.Eps = float32(lr), h.f32("adam_beta1"), h.f32("adam_beta2"), h.f32("adam_eps")
	mb.Clip, mb.VFClip, mb.VFCoef = h.f32("clip_coef"), h.f32("vf_clip_coef"), h.f32("vf_coef")
	mb.EntCoef, mb.MaxGradNorm = h.f32("ent_coef"), h.f32("max_grad_norm")
	B, L, O, H := mb.B, t.bptt, sim.ObsSize, t.cfg.Hidden
	perm := make([]int, t.segs)
	var sum torch.Stats
	n := 0
	for e := 0; e < epochs; e++ {
		for i := range perm {
			perm[i] = i
		}
		sim.NewRNG(sim.DeriveSeed(t.o.Seed, "minibatch", uint64(t.state.Update*epochs+e))).Shuffle(perm)
		for start := 0; start+B <= len(perm); start += B {
			for j, seg := range perm[start : start+B] {
				src, dst := seg*L, j*L // rows of the rollout and of the minibatch
				copy(mb.Obs[dst*O:(dst+L)*O], t.obs[src*O:(src+L)*O])
				copy(mb.Actions[dst:dst+L], t.actions[src:src+L])
				copy(mb.LogProbs[dst:dst+L], t.logp[src:src+L])
				copy(mb.Values[dst:dst+L], t.values[src:src+L])
				copy(mb.Advantages[dst:dst+L], t.adv[src:src+L])
				copy(mb.Returns[dst:dst+L], t.ret[src:src+L])
				copy(mb.Starts[dst:dst+L], t.starts[src:src+L])
				if t.cfg.LSTM {
					copy(mb.H0[j*H:(j+1)*H], t.h0[seg*H:(seg+1)*H])
					copy(mb.C0[j*H:(j+1)*H], t.c0[seg*H:(seg+1)*H])
				}
			}
			st, err := t.model.Update(mb)
			if err != nil {
				return CurvePoint{}, err
			}
			sum.PolicyLoss += st.PolicyLoss
			sum.ValueLoss += st.ValueLoss
			sum.Entropy += st.Entropy
			sum.ApproxKL += st.ApproxKL
			sum.ClipFraction += st.ClipFraction
			n++
		}
	}
	k := float64(n)
	return CurvePoint{PolicyLoss: sum.PolicyLoss / k, ValueLoss: sum.ValueLoss / k, Entropy: sum.Entropy / k,
		ApproxKL: sum.ApproxKL / k, ClipFraction: sum.ClipFraction / k, ExplainedVariance: t.explainedVariance()}, nil
}

// explainedVariance is 1 - Var(returns - values) / Var(returns) over the rollout.
func (t *trainer) explainedVariance() float64 {
	var sr, sr2, sd, sd2 float64
	for i, r := range t.ret {
		d := float64(r - t.values[i])
		sr += float64(r)
		sr2 += float64(r) * float64(r)
		sd += d
		sd2 += d * d
	}
	n := float64(len(t.ret))
	vr := sr2/n - (sr/n)*(sr/n)
	vd := sd2/n - (sd/n)*(sd/n)
	if vr <= 1e-12 {
		return 0 // undefined: constant returns
	}
	return 1 - vd/vr
}
