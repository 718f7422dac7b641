package journal

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
)

type payload struct {
	N    int    `json:"n"`
	Text string `json:"text"`
}

func TestAppendAndRead(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "journal.jsonl")
	j, recs, err := Open(path)
	if err != nil || len(recs) != 0 {
		t.Fatalf("open new: %v %v", recs, err)
	}
	for i := 0; i < 3; i++ {
		if err := j.Append("item", payload{i, "x"}); err != nil {
			t.Fatal(err)
		}
	}
	if err := j.Append("end", nil); err != nil {
		t.Fatal(err)
	}
	if err := j.Append("", nil); err == nil {
		t.Fatal("empty type accepted")
	}
	j.Close()
	if err := j.Append("late", nil); err == nil {
		t.Fatal("append after close accepted")
	}
	data, _ := os.ReadFile(path)
	want := `{"type":"item","data":{"n":0,"text":"x"}}` + "\n"
	if !strings.HasPrefix(string(data), want) {
		t.Fatalf("file starts %q, want %q", data, want)
	}
	recs, err = Read(path)
	if err != nil || len(recs) != 4 || recs[3].Type != "end" || recs[3].Line != 4 {
		t.Fatalf("read: %+v %v", recs, err)
	}
	var p payload
	if err := recs[2].Decode(&p); err != nil || p.N != 2 {
		t.Fatalf("decode: %+v %v", p, err)
	}
	if err := recs[3].Decode(&p); err == nil {
		t.Fatal("decoded a record without data")
	}
}

func TestTornLastLine(t *testing.T) {
	for _, tail := range []string{`{"type":"item","da`, `{"type":"item"}`, "\x00\x00\x00", `garbage` + "\n"} {
		path := filepath.Join(t.TempDir(), "j.jsonl")
		good := `{"type":"a"}` + "\n" + `{"type":"b","data":1}` + "\n"
		os.WriteFile(path, []byte(good+tail), 0o644)
		recs, err := Read(path)
		if err != nil || len(recs) != 2 {
			t.Fatalf("tail %q: read %v %v", tail, recs, err)
		}
		// Read leaves the file alone; Open cuts the torn line.
		if data, _ := os.ReadFile(path); string(data) != good+tail {
			t.Fatalf("Read changed the file")
		}
		j, recs, err := Open(path)
		if err != nil || len(recs) != 2 {
			t.Fatalf("tail %q: open %v %v", tail, recs, err)
		}
		j.Append("c", nil)
		j.Close()
		if data, _ := os.ReadFile(path); string(data) != good+`{"type":"c"}`+"\n" {
			t.Fatalf("tail %q: after reopen and append: %q", tail, data)
		}
	}
}

func TestCorruptMiddleLine(t *testing.T) {
	path := filepath.Join(t.TempDir(), "j.jsonl")
	os.WriteFile(path, []byte(`{"type":"a"}`+"\n"+`oops`+"\n"+`{"type":"b"}`+"\n"), 0o644)
	if _, err := Read(path); err == nil || !strings.Contains(err.Error(), "line 2 is corrupt") {
		t.Fatalf("error %v", err)
	}
	if _, _, err := Open(path); err == nil {
		t.Fatal("opened a corrupt journal")
	}
}

func TestMissingFile(t *testing.T) {
	recs, err := Read(filepath.Join(t.TempDir(), "none.jsonl"))
	if err != nil || recs != nil {
		t.Fatalf("%v %v", recs, err)
	}
}

// TestMain lets the test binary act as a journal writer for the kill test.
func TestMain(m *testing.M) {
	if path := os.Getenv("JOURNAL_TEST_WRITER"); path != "" {
		writer(path)
		return
	}
	os.Exit(m.Run())
}

// writer appends numbered records forever, printing each number after
// Append (or Write, with JOURNAL_TEST_MODE=write) returned.
func writer(path string) {
	add := (*Journal).Append
	if os.Getenv("JOURNAL_TEST_MODE") == "write" {
		add = (*Journal).Write
	}
	j, recs, err := Open(path)
	if err != nil {
		fmt.Println("error", err)
		os.Exit(1)
	}
	big := strings.Repeat("y", 4000) // long lines make torn writes likely
	for n := len(recs); ; n++ {
		if err := add(j, "item", payload{n, big}); err != nil {
			fmt.Println("error", err)
			os.Exit(1)
		}
		fmt.Println(n)
	}
}

// TestKill9 kills a real writer process at arbitrary moments: every record
// it acknowledged is there, in order, and the journal reopens and grows;
// with Append and with Write (whose records need no fsync to outlive the
// process).
func TestKill9(t *testing.T) {
	for _, mode := range []string{"append", "write"} {
		t.Run(mode, func(t *testing.T) { kill9(t, mode) })
	}
}

func kill9(t *testing.T, mode string) {
	path := filepath.Join(t.TempDir(), "j.jsonl")
	acked := -1
	for round := 0; round < 5; round++ {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), "JOURNAL_TEST_WRITER="+path, "JOURNAL_TEST_MODE="+mode)
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(out)
		target := acked + 10 + round*7
		for sc.Scan() {
			n, err := strconv.Atoi(sc.Text())
			if err != nil {
				t.Fatalf("writer: %s", sc.Text())
			}
			acked = n
			if n >= target {
				break
			}
		}
		cmd.Process.Kill() // SIGKILL
		cmd.Wait()
		recs, err := Read(path)
		if err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
		if len(recs) < acked+1 {
			t.Fatalf("round %d: %d records on disk, %d acknowledged", round, len(recs), acked+1)
		}
		for i, r := range recs {
			var p payload
			if err := r.Decode(&p); err != nil || p.N != i {
				t.Fatalf("round %d: record %d is %+v (%v)", round, i, p, err)
			}
		}
		acked = len(recs) - 1
	}
}

// TestConcurrentAppends mixes Append and Write from several goroutines:
// every record is there, each goroutine's in its own order, and Sync and
// Close return once the flusher has caught up.
func TestConcurrentAppends(t *testing.T) {
	path := filepath.Join(t.TempDir(), "j.jsonl")
	j, _, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	const writers, each = 8, 25
	add := func(w int) func(string, any) error {
		if w%2 == 0 {
			return j.Write
		}
		return j.Append
	}
	done := make(chan error)
	for w := 0; w < writers; w++ {
		go func(w int) {
			for i := 0; i < each; i++ {
				if err := add(w)("item", payload{w*1000 + i, ""}); err != nil {
					done <- err
					return
				}
			}
			done <- nil
		}(w)
	}
	for w := 0; w < writers; w++ {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
	if err := j.Sync(); err != nil {
		t.Fatal(err)
	}
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	if err := j.Write("item", payload{}); err == nil {
		t.Fatal("Write after Close succeeded")
	}
	recs, err := Read(path)
	if err != nil || len(recs) != writers*each {
		t.Fatalf("%d records, %v", len(recs), err)
	}
	// Each writer's records are complete and in its own order.
	next := map[int]int{}
	for _, r := range recs {
		var p payload
		if err := r.Decode(&p); err != nil {
			t.Fatal(err)
		}
		w, i := p.N/1000, p.N%1000
		if next[w] != i {
			t.Fatalf("writer %d: record %d after %d", w, i, next[w]-1)
		}
		next[w]++
	}
}

func BenchmarkAppend(b *testing.B) {
	for _, par := range []int{1, 4} {
		b.Run(fmt.Sprintf("goroutines%d", par*runtime.GOMAXPROCS(0)), func(b *testing.B) {
			j, _, err := Open(filepath.Join(b.TempDir(), "j.jsonl"))
			if err != nil {
				b.Fatal(err)
			}
			defer j.Close()
			b.SetParallelism(par)
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if err := j.Append("item", payload{1, "trial"}); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
}

// BenchmarkWrite is Append without waiting for the disk: what a record
// costs the caller when the flusher makes it durable.
func BenchmarkWrite(b *testing.B) {
	j, _, err := Open(filepath.Join(b.TempDir(), "j.jsonl"))
	if err != nil {
		b.Fatal(err)
	}
	defer j.Close()
	for i := 0; i < b.N; i++ {
		if err := j.Write("item", payload{1, "trial"}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRawWriteSync is the baseline of BenchmarkAppend: the same
// line written with one write and fsynced, without the journal.
func BenchmarkRawWriteSync(b *testing.B) {
	f, err := os.Create(filepath.Join(b.TempDir(), "raw"))
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	line := []byte(`{"type":"item","data":{"n":1,"text":"trial"}}` + "\n")
	for i := 0; i < b.N; i++ {
		if _, err := f.Write(line); err != nil {
			b.Fatal(err)
		}
		if err := f.Sync(); err != nil {
			b.Fatal(err)
		}
	}
}
