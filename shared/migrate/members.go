package migrate

import (
	"context"
	"errors"
	"fmt"

	latchkey "github.com/latchkey/latchkey/shared"
)

// ErrRejected is a write DynamoDB refused as invalid (say, an item over its size limit): a
// verdict on the record, not on the table. The store wraps such errors with it.
var ErrRejected = errors.New("rejected by DynamoDB")

func (r *run) worker(ctx context.Context) {
	defer r.wg.Done()
	for u := range r.work {
		if ctx.Err() != nil {
			continue // left undone: the checkpoint stays before it
		}
		if err := r.importMembers(ctx, u); err != nil {
			if ctx.Err() == nil {
				r.stop(err)
			}
			continue
		}
		r.finish(u)
	}
}

// importMembers imports one batch. Members of an organization this run created are written at once
// (nothing of them can be stored but what this run wrote, so there is nothing to read); the
// others, and any create whose conditions failed, are read in one BatchGetItem, compared with
// what is stored, and written where they differ, each member's items in one transaction.
// A write that lost a race is read and decided again, up to latchkey.MaxAttempts times.
func (r *run) importMembers(ctx context.Context, u *unit) error {
	now := r.im.now()
	var slow []*memberPlan
	var fresh []*memberPlan
	for _, p := range u.plans {
		if p.orgNew {
			fresh = append(fresh, p)
		} else {
			slow = append(slow, p)
		}
	}
	if len(fresh) > 0 {
		if r.opt.DryRun {
			for _, p := range fresh {
				r.record(u, p, r.im.decide(p, MemberState{}, r.opt.Update, now))
			}
		} else {
			ws := make([]MemberWrite, len(fresh))
			ds := make([]decision, len(fresh))
			for i, p := range fresh {
				w, sc := r.im.createWrite(p, nil, nil, now)
				ws[i], ds[i] = w, decision{outcome: outCreated, write: &ws[i], secrets: sc}
			}
			errs, err := r.write(ctx, ws)
			if err != nil {
				return err
			}
			for i, e := range errs {
				if e == nil {
					r.record(u, fresh[i], ds[i])
				} else {
					slow = append(slow, fresh[i]) // something is there after all: read it
				}
			}
		}
	}
	for attempt := 0; len(slow) > 0; attempt++ {
		if attempt >= latchkey.MaxAttempts {
			for _, p := range slow {
				u.out.fail(p.num, TypeMember, fail(latchkey.TypeConcurrentUpdate, "The member kept changing while it was imported; run the import again."))
			}
			return nil
		}
		latchkey.Backoff(ctx, attempt)
		states, err := r.lookup(ctx, slow)
		if err != nil {
			return err
		}
		var ws []MemberWrite
		var owners []*memberPlan
		var ds []decision
		now := r.im.now()
		for i, p := range slow {
			d := r.im.decide(p, states[i], r.opt.Update, now)
			switch {
			case d.fail != nil:
				u.out.fail(p.num, TypeMember, d.fail)
			case d.write == nil || r.opt.DryRun:
				r.record(u, p, d)
			default:
				ws, owners, ds = append(ws, *d.write), append(owners, p), append(ds, d)
			}
		}
		slow = nil
		if len(ws) == 0 {
			break
		}
		errs, err := r.write(ctx, ws)
		if err != nil {
			return err
		}
		for i, e := range errs {
			p := owners[i]
			switch on := latchkey.ConflictOn(e); {
			case e == nil:
				r.record(u, p, ds[i])
			case on == latchkey.ConflictOrganization:
				u.out.fail(p.num, TypeMember, fail(latchkey.TypeOrganizationMissing, "The organization %s no longer exists.", p.orgID))
			case errors.Is(e, ErrRejected):
				u.out.fail(p.num, TypeMember, fail("write_rejected", "%v", e))
			default: // a condition failed: someone wrote meanwhile; read again
				slow = append(slow, p)
			}
		}
	}
	return nil
}

// record counts a member's decision in its unit's outcome.
func (r *run) record(u *unit, p *memberPlan, d decision) {
	u.handled++
	switch d.outcome {
	case outCreated:
		u.out.members.Created++
	case outUpdated:
		u.out.members.Updated++
	case outUnchanged:
		u.out.members.Unchanged++
	case outSkipped:
		u.out.members.Skipped++
	}
	u.out.secrets.add(d.secrets)
	switch {
	case d.outcome == outSkipped:
		u.out.note(Note{Line: p.num, Kind: TypeMember, Fields: d.fields, Reason: "differs from the stored member; left as it is (pass --update to write it)"})
	case d.outcome == outUpdated && d.applied:
		u.out.note(Note{Line: p.num, Kind: TypeMember, Fields: d.fields, Reason: "updated"})
	case d.outcome == outUpdated && len(d.fields) > 0:
		u.out.note(Note{Line: p.num, Kind: TypeMember, Fields: d.fields, Reason: "a secret was set; the other differences were left as stored (pass --update to write them)"})
	}
	for _, n := range d.notes {
		u.out.note(Note{Line: p.num, Kind: TypeMember, Reason: n})
	}
}

// lookup reads the stored state of a batch.
func (r *run) lookup(ctx context.Context, ps []*memberPlan) ([]MemberState, error) {
	qs := make([]MemberQuery, len(ps))
	for i, p := range ps {
		q := MemberQuery{OrganizationID: p.orgID, Email: p.email, ExternalID: p.create.ExternalID, Phone: p.create.MFAPhoneNumber,
			Password: p.password != "", PasswordOrg: p.passwordOrg, TOTP: p.totp != nil}
		if p.givenID {
			q.MemberID = p.id
		}
		qs[i] = q
	}
	var states []MemberState
	err := r.retry(ctx, func() (e error) { states, e = r.im.Store.LookupMembers(ctx, qs); return })
	if err != nil {
		return nil, err
	}
	if len(states) != len(qs) {
		return nil, fmt.Errorf("LookupMembers answered %d states for %d queries", len(states), len(qs))
	}
	return states, nil
}

// write writes a batch, retrying throttled writes (and those cancelled with them) with
// backoff. The error is for the run (the table cannot be written); each write's own outcome
// is in the slice: nil, a *latchkey.Conflict, ErrNotAttempted, or ErrRejected.
func (r *run) write(ctx context.Context, ws []MemberWrite) ([]error, error) {
	out := make([]error, len(ws))
	todo := make([]int, len(ws))
	for i := range todo {
		todo[i] = i
	}
	for attempt := 0; len(todo) > 0; attempt++ {
		batch := make([]MemberWrite, len(todo))
		for i, j := range todo {
			batch[i] = ws[j]
		}
		errs := r.im.Store.WriteMembers(ctx, batch)
		var again []int
		retryable := false
		for i, e := range errs {
			j := todo[i]
			out[j] = e
			switch {
			case e == nil, errors.Is(e, ErrRejected), latchkey.ConflictOn(e) != "":
			case errors.Is(e, ErrNotAttempted):
				again = append(again, j) // cancelled with a write that failed its condition
			case r.im.Store.Retryable(e):
				again, retryable = append(again, j), true
			default:
				return nil, e
			}
		}
		if len(again) == 0 {
			break
		}
		if retryable {
			if attempt >= maxRetries {
				return nil, fmt.Errorf("DynamoDB kept throttling after %d retries: %w", maxRetries, out[again[0]])
			}
			if err := pause(ctx, attempt); err != nil {
				return nil, err
			}
		}
		todo = again
	}
	return out, nil
}
