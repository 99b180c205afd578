package pwhash

import "testing"

// Every form Import takes exports to a form that imports again to the same stored hash, which
// still verifies; Latchkey's own argon2id hashes export too.
func TestExportRoundTrip(t *testing.T) {
	all := fixtures(t)
	all["phpass"] = Imported{HashType: TypePHPass, Hash: "$P$9IQRaTwmfeRo7ud9Fh4E2PdI0S3r.L0"}
	native, err := Hash(pw)
	if err != nil {
		t.Fatal(err)
	}
	for name, in := range all {
		t.Run(name, func(t *testing.T) {
			enc, err := Import(in)
			if err != nil {
				t.Fatal(err)
			}
			roundTrip(t, enc, in.HashType)
		})
	}
	t.Run("native argon2id", func(t *testing.T) { roundTrip(t, native, TypeArgon2id) })
	if _, err := Export("$5$rounds=1000$salt$hash"); err == nil {
		t.Fatal("a sha256-crypt hash has no Passwords.Migrate form, but exported")
	}
}

func roundTrip(t *testing.T, enc, hashType string) {
	t.Helper()
	out, err := Export(enc)
	if err != nil {
		t.Fatalf("Export(%s): %v", enc, err)
	}
	if out.HashType != hashType {
		t.Fatalf("hash_type %s, want %s", out.HashType, hashType)
	}
	again, err := Import(out)
	if err != nil {
		t.Fatalf("Import(Export(%s)): %v", enc, err)
	}
	if again != enc {
		t.Fatalf("round trip changed the hash:\n %s\n %s", enc, again)
	}
	want := pw
	if hashType == TypePHPass {
		want = "test12345"
	}
	if ok, _, err := Verify(again, want); !ok || err != nil {
		t.Fatalf("the round-tripped hash does not verify: %v %v", ok, err)
	}
}
