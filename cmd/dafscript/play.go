package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"

	"github.com/dafscript/dafscript/sim"
	"github.com/dafscript/dafscript/sim/mission"
	"github.com/dafscript/dafscript/sim/policy"
)

func playCmd() *Command {
	c := &Command{
		Name:    "play",
		Usage:   "dafscript play -m MISSION -p POLICY [--seed N] [--steps N] [--render text|none]",
		Summary: "run one episode of a policy and watch it",
		Help: `Runs one episode of MISSION with every agent driven by POLICY
(CLASS[:DATA], e.g. baseline, random, lstm:ckpt/model.pt) and prints an
ASCII frame after every step (--render text, the default) and a closing
summary: steps, reward per agent, hearts deposited and key stats.
--render none prints the summary only.`,
	}
	c.Run = func(st *State, args []string) int {
		fs := newFlagSet(c)
		opts := playOptions{}
		fs.StringVar(&opts.mission, "m", "", "mission name, e.g. training_facility_1 (see dafscript missions)")
		fs.StringVar(&opts.mission, "mission", "", "same as -m")
		mapFlag(fs, st, func(name string) { opts.mission = name })
		fs.StringVar(&opts.policy, "p", "", "policy, CLASS[:DATA] (noop, random, baseline, ...)")
		fs.StringVar(&opts.policy, "policy", "", "same as -p")
		seed := fs.String("seed", "0", "episode seed")
		fs.IntVar(&opts.steps, "steps", 0, "stop after N steps (0: the mission's max steps)")
		fs.StringVar(&opts.render, "render", "text", "text: a frame per step; none: the summary only")
		pos, code, ok := parseFlags(st, c, fs, args)
		if !ok {
			return code
		}
		if len(pos) > 0 {
			return usageError(st, c, "unexpected argument %q", pos[0])
		}
		var err error
		if opts.seed, err = strconv.ParseUint(*seed, 10, 64); err != nil {
			return usageError(st, c, "--seed %q: want a non-negative integer", *seed)
		}
		if err := opts.check(); err != nil {
			return usageError(st, c, "%v", err)
		}
		m, err := mission.Get(opts.mission)
		if err != nil {
			return usageError(st, c, "-m: %v", err)
		}
		spec, prop, err := policy.ParseSpec(opts.policy)
		if err != nil {
			return usageError(st, c, "-p: %v", err)
		}
		if prop != 1 {
			return usageError(st, c, "-p %q: play drives every agent with one policy; proportions are for evaluations", opts.policy)
		}
		p, err := policy.New(spec)
		if err != nil {
			var uc *policy.UnknownClassError
			if errors.As(err, &uc) {
				return usageError(st, c, "-p: %v", err)
			}
			fmt.Fprintf(st.Stderr, "dafscript play: %v\n", err)
			return ExitError
		}
		ctx, cancel := scriptContext(st) // Ctrl-C stops the episode
		defer cancel()
		res, err := playEpisode(ctx, st.Stdout, m, p, opts)
		if err != nil {
			return runFailed(st, c.Name, err)
		}
		writeSummary(st.Stdout, m, p.Name(), opts.seed, res)
		return ExitOK
	}
	return c
}

type playOptions struct {
	mission, policy, render string
	seed                    uint64
	steps                   int
}

func (o playOptions) check() error {
	switch {
	case o.mission == "":
		return errors.New("-m MISSION is required (see dafscript missions)")
	case o.policy == "":
		return fmt.Errorf("-p POLICY is required (one of %s)", strings.Join(policy.Classes(), ", "))
	case o.render != "text" && o.render != "none":
		return fmt.Errorf("--render %q: want text or none", o.render)
	case o.steps < 0:
		return fmt.Errorf("--steps %d: want 0 (the mission's limit) or more", o.steps)
	}
	return nil
}

// playResult is what the summary reports.
type playResult struct {
	stats *sim.EpisodeStats
}

// playEpisode runs one episode, writing a frame per step when rendering.
// A panic inside the episode becomes an error naming the seed.
func playEpisode(ctx context.Context, w io.Writer, m *mission.Mission, p policy.Policy, o playOptions) (res playResult, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("mission %s, policy %s, episode seed %d: internal error: %v", m.Name, p.Name(), o.seed, r)
		}
	}()
	cfg, err := m.Build(o.seed)
	if err != nil {
		return res, err
	}
	if o.steps > 0 && o.steps < cfg.MaxSteps {
		cfg.MaxSteps = o.steps
	}
	env, err := sim.NewEnv(cfg, o.seed)
	if err != nil {
		return res, fmt.Errorf("mission %s: %w", m.Name, err)
	}
	n := env.NumAgents()
	ctl, err := p.NewController(n)
	if err != nil {
		return res, err
	}
	defer ctl.Close()
	for i := 0; i < n; i++ {
		ctl.Reset(i, sim.DeriveSeed(o.seed, "agent", uint64(i)))
	}
	render := o.render == "text"
	if render {
		fmt.Fprintln(w, env.Render())
	}
	actions := make([]int32, n)
	for !env.Done() {
		if err := ctx.Err(); err != nil {
			return res, fmt.Errorf("episode seed %d stopped at step %d: %w", o.seed, env.StepCount(), err)
		}
		if err := ctl.Act(env.Observations(), actions); err != nil {
			return res, fmt.Errorf("policy %s, episode seed %d, step %d: %w", p.Name(), o.seed, env.StepCount(), err)
		}
		env.Step(actions)
		if render {
			fmt.Fprintln(w, env.Render())
		}
	}
	return playResult{stats: env.Stats()}, nil
}

// summaryStats are the per-agent stats the summary totals, in this order.
var summaryStats = []string{
	"heart.gained", "carbon.gained", "oxygen.gained", "germanium.gained", "silicon.gained",
	"energy.gained", "action.move.success", "action.failed",
}

func writeSummary(w io.Writer, m *mission.Mission, policyName string, seed uint64, r playResult) {
	s := r.stats
	fmt.Fprintf(w, "mission %s, policy %s, seed %d\n", m.Name, policyName, seed)
	fmt.Fprintf(w, "steps: %d\n", s.Steps)
	rewards := make([]string, len(s.Rewards))
	total := 0.0
	for i, v := range s.Rewards {
		rewards[i] = strconv.FormatFloat(v, 'f', 2, 64)
		total += v
	}
	fmt.Fprintf(w, "reward per agent: %s (total %.2f)\n", strings.Join(rewards, " "), total)
	fmt.Fprintf(w, "hearts deposited: %g (in chests at the end: %g)\n", s.Game["chest.heart.deposited"], s.Game["chest.heart.amount"])
	fmt.Fprintln(w, "team totals:")
	for _, k := range summaryStats {
		sum := 0.0
		for _, a := range s.Agents {
			sum += a[k]
		}
		fmt.Fprintf(w, "  %-22s %g\n", k, sum)
	}
	var chest []string
	for k, v := range s.Game {
		if strings.HasPrefix(k, "chest.") && !strings.HasPrefix(k, "chest.heart.") && v != 0 {
			chest = append(chest, fmt.Sprintf("%s=%g", k, v))
		}
	}
	sort.Strings(chest)
	if len(chest) > 0 {
		fmt.Fprintf(w, "chest: %s\n", strings.Join(chest, " "))
	}
}
