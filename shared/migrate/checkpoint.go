package migrate

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// checkpoint is the checkpoint file: which input, the last line up to which every line is
// done, and what those lines did, so that a resumed run's report covers the whole input.
type checkpoint struct {
	Version   int          `json:"version"`
	Input     InputInfo    `json:"input"`
	Line      int          `json:"line"`
	WrittenAt time.Time    `json:"written_at"`
	Orgs      Counts       `json:"organizations"`
	Members   Counts       `json:"members"`
	Secrets   SecretCounts `json:"secrets"`
	Failures  []Failure    `json:"failures"`
	Notes     []Note       `json:"notes"`
}

const checkpointVersion = 1

// loadCheckpoint resumes from the checkpoint, when there is one for this input.
func (r *run) loadCheckpoint() error {
	if r.opt.Checkpoint == "" {
		return nil
	}
	raw, err := os.ReadFile(r.opt.Checkpoint)
	if errors.Is(err, os.ErrNotExist) || err == nil && !r.opt.Resume {
		return nil
	}
	if err != nil {
		return err
	}
	var c checkpoint
	if err := json.Unmarshal(raw, &c); err != nil || c.Version != checkpointVersion {
		return fmt.Errorf("checkpoint %s is not a checkpoint of this tool: remove it, or start over with --resume=false", r.opt.Checkpoint)
	}
	if c.Input.SHA256 != r.info.SHA256 || c.Input.Bytes != r.info.Bytes || c.Input.Format != r.info.Format {
		return fmt.Errorf("checkpoint %s is for another input (%s, %d bytes, sha256 %.12s…), not this one (%d bytes, sha256 %.12s…): "+
			"remove it, or start over with --resume=false", r.opt.Checkpoint, c.Input.Path, c.Input.Bytes, c.Input.SHA256, r.info.Bytes, r.info.SHA256)
	}
	r.resumeAfter = c.Line
	r.committed = outcome{orgs: c.Orgs, members: c.Members, secrets: c.Secrets, failures: c.Failures, notes: c.Notes}
	return nil
}

func (r *run) saveCheckpoint() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.saveCheckpointLocked()
}

// saveCheckpointLocked writes the checkpoint atomically: a temporary file in the same
// directory, synced, then renamed over the old one, so a kill at any moment leaves either
// the old checkpoint or the new one.
func (r *run) saveCheckpointLocked() error {
	r.uncommitted = 0
	c := checkpoint{Version: checkpointVersion, Input: r.info, Line: r.watermark, WrittenAt: time.Now().UTC(),
		Orgs: r.committed.orgs, Members: r.committed.members, Secrets: r.committed.secrets,
		Failures: r.committed.failures, Notes: r.committed.notes}
	raw, err := json.Marshal(c)
	if err != nil {
		return err
	}
	dir := filepath.Dir(r.opt.Checkpoint)
	f, err := os.CreateTemp(dir, filepath.Base(r.opt.Checkpoint)+".tmp*")
	if err != nil {
		return fmt.Errorf("write the checkpoint: %w", err)
	}
	_, err = f.Write(raw)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), r.opt.Checkpoint)
	}
	if err != nil {
		_ = os.Remove(f.Name())
		return fmt.Errorf("write the checkpoint: %w", err)
	}
	return nil
}
