package migrate

import (
	"context"
	"errors"

	latchkey "github.com/latchkey/latchkey/shared"
)

// findOrg finds the stored organization an organization line means: by its id when it has
// one, else by its external id, else by its slug (so a file without ids imports again onto
// the organizations its first run created).
func (r *run) findOrg(ctx context.Context, rec *Organization) (*latchkey.Organization, error) {
	var id string
	var err error
	switch {
	case rec.OrganizationID != nil && *rec.OrganizationID != "":
		id = *rec.OrganizationID
	case rec.OrganizationExternalID != nil && *rec.OrganizationExternalID != "":
		err = r.retry(ctx, func() (e error) {
			id, e = r.im.Store.OrganizationIDByExternalID(ctx, *rec.OrganizationExternalID)
			return
		})
	case rec.OrganizationSlug != nil && *rec.OrganizationSlug != "":
		err = r.retry(ctx, func() (e error) {
			id, e = r.im.Store.OrganizationIDBySlug(ctx, latchkey.NormalizeSlug(*rec.OrganizationSlug))
			return
		})
	default:
		return nil, nil // nothing to find it by: a new organization (which will fail validation)
	}
	if errors.Is(err, latchkey.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var o latchkey.Organization
	err = r.retry(ctx, func() (e error) { o, e = r.im.Store.Organization(ctx, id); return })
	if errors.Is(err, latchkey.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &o, nil
}

// resolveOrg finds an organization line's organization without importing it, for a line
// before a resumed run's checkpoint: its members may follow the checkpoint.
func (r *run) resolveOrg(ctx context.Context, n int, rec *Organization) error {
	if rec.OrganizationID != nil && *rec.OrganizationID != "" && r.im.checkID("organization", *rec.OrganizationID) != nil {
		r.orgs[n] = &orgResult{failed: true}
		return nil
	}
	o, err := r.findOrg(ctx, rec)
	if err != nil {
		return err
	}
	if o == nil {
		r.orgs[n] = &orgResult{failed: true}
		return nil
	}
	r.orgs[n] = &orgResult{org: *o}
	return nil
}

// importOrg creates or updates one organization, with its slug and external-id guards in the
// same transaction (the store's CreateOrganization and ReplaceOrganization).
func (r *run) importOrg(ctx context.Context, n int, rec *Organization, out *outcome) error {
	res := &orgResult{failed: true}
	r.orgs[n] = res
	failed := func(f *Failure) error {
		out.fail(n, TypeOrganization, f)
		return nil
	}
	given := ""
	if rec.OrganizationID != nil && *rec.OrganizationID != "" {
		given = *rec.OrganizationID
		if f := r.im.checkID("organization", given); f != nil {
			return failed(f)
		}
	}
	for attempt := 0; attempt < latchkey.MaxAttempts; attempt++ {
		stored, err := r.findOrg(ctx, rec)
		if err != nil {
			return err
		}
		now := r.im.now()
		if stored == nil {
			id := given
			if id == "" {
				id = r.im.IDs.New("organization")
			}
			o, f := newOrganization(rec, id, now)
			if f != nil {
				return failed(f)
			}
			if !r.opt.DryRun {
				err := r.retry(ctx, func() error { return r.im.Store.CreateOrganization(ctx, o) })
				switch latchkey.ConflictOn(err) {
				case "":
					if err != nil {
						return err
					}
				case latchkey.ConflictSlug:
					return failed(fail(latchkey.TypeSlugUsed, "organization_slug %q is another organization's.", o.OrganizationSlug))
				case latchkey.ConflictExternalID:
					return failed(fail("organization_external_id_already_used", "organization_external_id %q is another organization's.", o.OrganizationExternalID))
				default:
					continue // created meanwhile: look again
				}
				o.Version = 1
			}
			*res = orgResult{org: o, new: true}
			out.orgs.Created++
			return nil
		}
		next, f := appliedOrganization(rec, *stored, now)
		if f != nil {
			return failed(f)
		}
		fields := orgDiff(*stored, next)
		switch {
		case len(fields) == 0:
			*res = orgResult{org: *stored}
			out.orgs.Unchanged++
			return nil
		case !r.opt.Update:
			*res = orgResult{org: *stored}
			out.orgs.Skipped++
			out.note(Note{Line: n, Kind: TypeOrganization, Fields: fields, Reason: "differs from the stored organization; left as it is (pass --update to write it)"})
			return nil
		}
		if !r.opt.DryRun {
			err := r.retry(ctx, func() error { return r.im.Store.ReplaceOrganization(ctx, *stored, next) })
			switch latchkey.ConflictOn(err) {
			case "":
				if err != nil {
					return err
				}
			case latchkey.ConflictSlug:
				return failed(fail(latchkey.TypeSlugUsed, "organization_slug %q is another organization's.", next.OrganizationSlug))
			case latchkey.ConflictExternalID:
				return failed(fail("organization_external_id_already_used", "organization_external_id %q is another organization's.", next.OrganizationExternalID))
			default:
				latchkey.Backoff(ctx, attempt+1)
				continue // changed since it was read
			}
			next.Version = stored.Version + 1
		}
		*res = orgResult{org: next}
		out.orgs.Updated++
		out.note(Note{Line: n, Kind: TypeOrganization, Fields: fields, Reason: "updated"})
		return nil
	}
	return failed(fail(latchkey.TypeConcurrentUpdate, "The organization kept changing while it was imported; run the import again."))
}
