package train

import (
	"github.com/dafscript/dafscript/runtime/train/torch"
	"github.com/dafscript/dafscript/sim"
)

// rollout collects horizon steps of every agent. With two groups of
// environments, one group steps (in its own goroutine) while the network
// acts on the other, so simulation and inference overlap.
func (t *trainer) rollout() error {
	T := t.rolloutSteps
	if len(t.groups) == 1 {
		for s := 0; s < T; s++ {
			if err := t.act(t.groups[0], s); err != nil {
				return err
			}
			t.step(t.groups[0], s)
		}
	} else {
		done := make([]chan any, len(t.groups))
		pending := make([]bool, len(t.groups))
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
			for k, group := range t.groups {
				wait(k)
				if err := t.act(group, s); err != nil {
					for j := range t.groups {
						wait(j)
					}
					return err
				}
				pending[k] = true
				go func(group *envGroup, s int, done chan any) {
					defer func() { done <- recover() }()
					t.step(group, s)
				}(group, s, done[k])
			}
		}
		for k := range t.groups {
			wait(k)
		}
	}
	// Values of the observations after the last step, to bootstrap the
	// returns; the recurrent state is not advanced.
	for _, group := range t.groups {
		hs := append([]float32(nil), group.hidden...)
		cs := append([]float32(nil), group.cell...)
		if err := t.model.Act(group.obs, group.numAgents, hs, cs, group.logits, group.values); err != nil {
			return err
		}
		copy(t.bootstrapValues[group.firstAgent:], group.values)
	}
	return nil
}

// act records the group's observations and recurrent state for step s,
// runs the network and samples the actions.
func (t *trainer) act(group *envGroup, s int) error {
	T, O, H := t.rolloutSteps, t.netConfig.InputBytes(), t.netConfig.Hidden
	perAgent := T / t.segmentSteps
	for i := 0; i < group.numAgents; i++ {
		a := group.firstAgent + i
		row := a*T + s
		copy(t.obs[row*O:(row+1)*O], group.obs[i*O:(i+1)*O])
		t.episodeStarts[row] = boolToFloat(group.prevDone[i])
		if t.netConfig.LSTM && s%t.segmentSteps == 0 {
			seg := a*perAgent + s/t.segmentSteps
			copy(t.segmentHidden[seg*H:(seg+1)*H], group.hidden[i*H:(i+1)*H])
			copy(t.segmentCell[seg*H:(seg+1)*H], group.cell[i*H:(i+1)*H])
		}
	}
	// Sampling happens in libtorch, from one uniform per agent drawn here.
	for i := range group.uniforms {
		group.uniforms[i] = group.rngs[i].Float64()
	}
	if err := t.model.ActSample(group.obs, group.numAgents, group.hidden, group.cell, group.uniforms, group.actions, group.logProbs, group.values); err != nil {
		return err
	}
	for i := 0; i < group.numAgents; i++ {
		row := (group.firstAgent+i)*T + s
		t.actions[row], t.logProbs[row], t.values[row] = group.actions[i], group.logProbs[i], group.values[i]
	}
	return nil
}

// step advances the group's environments and records rewards and ends of
// episodes; an agent whose episode ended starts the next with a cleared
// recurrent state.
func (t *trainer) step(group *envGroup, s int) {
	actions := group.actions
	if t.netConfig.Vibes != nil {
		// The network's actions become the game's.
		for i, a := range actions {
			group.gameActions[i] = t.netConfig.GameAction(a)
		}
		actions = group.gameActions
	}
	group.vec.Step(actions, group.obs, group.rewards, group.dones)
	H := t.netConfig.Hidden
	for i := 0; i < group.numAgents; i++ {
		row := (group.firstAgent+i)*t.rolloutSteps + s
		t.rewards[row] = group.rewards[i]
		t.dones[row] = boolToFloat(group.dones[i])
		group.prevDone[i] = group.dones[i]
		if group.dones[i] && t.netConfig.LSTM {
			clear(group.hidden[i*H : (i+1)*H])
			clear(group.cell[i*H : (i+1)*H])
		}
	}
}

func boolToFloat(b bool) float32 {
	if b {
		return 1
	}
	return 0
}

// gae computes advantages and returns (generalised advantage estimation)
// per agent, bootstrapping from the value after the rollout.
func (t *trainer) gae() {
	T := t.rolloutSteps
	gamma, lambda := float32(t.hyper["gamma"]), float32(t.hyper["gae_lambda"])
	for a := 0; a < t.numAgents; a++ {
		next := t.bootstrapValues[a]
		var g float32
		for s := T - 1; s >= 0; s-- {
			row := a*T + s
			nonterm := 1 - t.dones[row]
			delta := t.rewards[row] + gamma*next*nonterm - t.values[row]
			g = delta + gamma*lambda*nonterm*g
			t.advantages[row] = g
			t.returns[row] = g + t.values[row]
			next = t.values[row]
		}
	}
}

// update runs update_epochs passes of PPO over the rollout in shuffled
// minibatches of whole segments and returns the mean statistics.
func (t *trainer) update() (CurvePoint, error) {
	h := t.hyper
	epochs := h.int("update_epochs")
	lr := h["learning_rate"]
	if h["anneal_lr"] == 1 {
		lr *= 1 - float64(t.state.Update)/float64(t.totalUpdates)
	}
	mb := &t.minibatch
	mb.LR, mb.Beta1, mb.Beta2, mb.Eps = float32(lr), h.f32("adam_beta1"), h.f32("adam_beta2"), h.f32("adam_eps")
	mb.Clip, mb.VFClip, mb.VFCoef = h.f32("clip_coef"), h.f32("vf_clip_coef"), h.f32("vf_coef")
	mb.EntCoef, mb.MaxGradNorm = h.f32("ent_coef"), h.f32("max_grad_norm")
	B, L, O, H := mb.B, t.segmentSteps, t.netConfig.InputBytes(), t.netConfig.Hidden
	perms := t.minibatchOrder(epochs)
	advSums := t.advantageSums(perms, B)
	var sum torch.Stats
	n := 0
	for _, perm := range perms {
		for start := 0; start+B <= len(perm); start += B {
			for j, seg := range perm[start : start+B] {
				src, dst := seg*L, j*L // rows of the rollout and of the minibatch
				copy(mb.Obs[dst*O:(dst+L)*O], t.obs[src*O:(src+L)*O])
				copy(mb.Actions[dst:dst+L], t.actions[src:src+L])
				copy(mb.LogProbs[dst:dst+L], t.logProbs[src:src+L])
				copy(mb.Values[dst:dst+L], t.values[src:src+L])
				copy(mb.Advantages[dst:dst+L], t.advantages[src:src+L])
				copy(mb.Returns[dst:dst+L], t.returns[src:src+L])
				copy(mb.Starts[dst:dst+L], t.episodeStarts[src:src+L])
				if t.netConfig.LSTM {
					copy(mb.H0[j*H:(j+1)*H], t.segmentHidden[seg*H:(seg+1)*H])
					copy(mb.C0[j*H:(j+1)*H], t.segmentCell[seg*H:(seg+1)*H])
				}
			}
			if advSums != nil {
				mb.AdvantageSums, mb.ExchangeSums = advSums[3*n:], n == 0
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

// minibatchOrder is the order of the rollout's segments in each epoch of
// this update; each epoch's minibatches are its consecutive runs.
func (t *trainer) minibatchOrder(epochs int) [][]int {
	perms := make([][]int, epochs)
	for e := range perms {
		perm := make([]int, t.numSegments)
		for i := range perm {
			perm[i] = i
		}
		sim.NewRNG(sim.DeriveSeed(t.opts.Seed, "minibatch", uint64(t.state.Update*epochs+e))).Shuffle(perm)
		perms[e] = perm
	}
	return perms
}

// advantageSums is, in data-parallel training, this rank's count, sum
// and sum of squares of each minibatch's advantages, three per minibatch
// in the order they are trained. The first minibatch's update sums them
// over all ranks while it runs its forward pass, and the later ones use
// the sums: the ranks meet once for the whole update instead of before
// each minibatch's gradients, and that meeting overlaps work. nil when
// training alone (the model normalises each minibatch itself).
func (t *trainer) advantageSums(perms [][]int, segmentsPerMinibatch int) []float64 {
	if t.ddp.group == nil {
		return nil
	}
	L := t.segmentSteps
	var sums []float64
	for _, perm := range perms {
		for start := 0; start+segmentsPerMinibatch <= len(perm); start += segmentsPerMinibatch {
			var s, sq float64
			for _, seg := range perm[start : start+segmentsPerMinibatch] {
				for _, a := range t.advantages[seg*L : (seg+1)*L] {
					s += float64(a)
					sq += float64(a) * float64(a)
				}
			}
			sums = append(sums, float64(segmentsPerMinibatch*L), s, sq)
		}
	}
	return sums
}

// explainedVariance is 1 - Var(returns - values) / Var(returns) over the rollout.
func (t *trainer) explainedVariance() float64 {
	var sr, sr2, sd, sd2 float64
	for i, r := range t.returns {
		d := float64(r - t.values[i])
		sr += float64(r)
		sr2 += float64(r) * float64(r)
		sd += d
		sd2 += d * d
	}
	n := float64(len(t.returns))
	vr := sr2/n - (sr/n)*(sr/n)
	vd := sd2/n - (sd/n)*(sd/n)
	if vr <= 1e-12 {
		return 0 // undefined: constant returns
	}
	return 1 - vd/vr
}
