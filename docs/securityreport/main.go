// Command securityreport regenerates docs/SECURITY.md (`make security`): it runs the
// security, isolation, concurrency and fault tests, reads what each proves from its doc
// comment, and writes the results under a fixed description of the design.
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"time"
)

// suites are the tests the report covers, by package directory and name pattern.
var suites = []struct{ dir, pattern string }{
	{"shared/api", "^(TestNoSecretsAtRest|TestIsolationMatrix|TestTenantIsolation|TestEveryPrivateRouteNeedsCredentials|TestConcurrentRedemption|TestConcurrentSlugCreation|TestConcurrentMemberUpdatesLoseNothing|TestRouteAndBodyErrors|TestRequestLogLine|TestMagicLinkExpiry|TestPKCE|TestSendRateLimit|TestSessionRevoke|TestDeletingAMemberEndsItsSessions|TestIntermediateSessionExchange|TestSessionExchange|TestSCIMBearerAndIsolation|TestSCIMTokenRotation|TestSCIMTokenAtRest|TestSCIMConcurrentGroupAndUserWrites|TestSCIMUniquenessAndBadInput|TestEmailChangeTakeoverThroughSCIM|TestEmailChangeTakeoverThroughMembersUpdate|TestExchangeUsesTheProvenEmailAfterARename|TestRetiredEmailAddresses|TestDeletionEndsOutstandingLinks|TestStartEmailUpdate|TestStartEmailUpdateByCode|TestRetiredEmailBlocksJIT|TestSCIMRenameWhileDeactivatedReleasesTheOldAddress|TestManyEmailChangesThenDelete|TestEmailOTPTries|TestEmailOTPDailyFailures|TestEmailOTPConcurrentRedemption|TestEmailOTPLoginIsTheSameMember|TestBadInputMatrix|TestEmailNFCIsOneMember|TestInvisibleCharacterEmailsRefused|TestControlCharactersInNamesRefused|TestOrganizationNameNeverSplitsAnEmailHeader|TestDocumentsAtTheLimitsAreStored|TestPasswordLockIsPerAddressAndClient|TestPasswordFailuresTakeTheSameTime|TestPasswordResetLinkIsSingleUse|TestPasswordFollowsTheProvenAddress|TestConcurrentFirstLoginsAreOneMember|TestPasswordLoginIsTheSameMember|TestOrganizationPasswordsDoNotCrossOrganizations|TestPasswordResetTokenIsNotAMagicLink|TestMFARequiredForAllWithTOTPAndRecoveryCodes|TestMFAWrongCodesLockTheMember|TestMFAStepUpOnSessionExchange|TestMFAUnfinishedFactorCannotBypassTheRealOne|TestMFABySMS|TestMFAPhoneNumbersAreUniquePerOrganization|TestMemberSessionHeadersAreEnforced|TestSAMLSPInitiatedJITWithRoles|TestSAMLDedupWithExistingMember|TestSAMLJITRestrictedByConnection|TestSAMLIdPInitiated|TestSAMLResponsesRefused|TestSSOStartRefusals|TestSSOPKCEAndMFA|TestSAMLConnectionManagement|TestOIDCCodeFlow|TestRBACEnforcementMatrix|TestRBACUnenforcedRoutesIgnoreMemberSessions|TestRBACFieldNamesInAnyCaseAreChecked|TestRBACTargetsNamedTwiceAreChecked|TestRoleAssignmentValidation|TestSessionRolesAndChecks|TestStytchGoRBAC|TestEnforcementTableNamesRoutes|TestOAuthDedupWithMagicLinkMember|TestOAuthDomainJIT|TestOAuthConsumerGoogle|TestOAuthMicrosoftPersonalAccountRefused|TestOAuthCallbackReplayAndForgery|TestOAuthPKCE|TestOAuthProviderKeyRotation|TestOAuthStartRefusals|TestOAuthSessionExchangeAcrossOrganizations|TestOAuthMicrosoftEmailClaimNotTrusted|TestOAuthAccountKeepsItsMember|TestOAuthClientSecretFromSecretsManager|TestSSOOnAnotherMembersSessionIsRefused|TestSSOJITIsJudgedOnTheAddressTheFactorProved|TestOIDCConnectionRefusesMultiTenantIssuer|TestOAuthConsumerStepUpIsForTheNamedAddress|TestOAuthDiscoveryISTIsNotMergedIntoAnotherPersonsLogin|TestOAuthOnAnotherMembersSessionIsRefused)$"},
	{"shared/oidcrp", "^(TestTenantIssuer|TestDiscoverTenantTemplate|TestDiscoverRefuses)$"},
	{"shared/samlsp", "^(TestTampering|TestMalformed|TestConnectionSettings|TestEncryptedAssertion)$"},
	{"shared/safehttp", "^(TestRedirectToRefusedTarget|TestLoopbackRefusedWithoutAllowLoopback|TestLocalhostRefusedAtDial|TestBodyBound)$"},
	{"shared/app", "^Test"},
	{"shared/store", "^TestCleanupSparesExtendedSessions$"},
	{"shared", "^(TestDomainDependencies|TestLayers|TestSettle|FuzzEmailChanges)$"},
}

type result struct {
	pkg, name, doc, outcome string
	elapsed                 float64
}

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "securityreport:", err)
		os.Exit(1)
	}
}

func run() error {
	var results []result
	failed := false
	for _, s := range suites {
		docs, err := testDocs(s.dir)
		if err != nil {
			return err
		}
		cmd := exec.Command("go", "test", "-count=1", "-json", "-run", s.pattern, "./"+s.dir)
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, os.Stderr
		err = cmd.Run()
		sc := bufio.NewScanner(&out)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			var ev struct {
				Action, Test string
				Elapsed      float64
			}
			if json.Unmarshal(sc.Bytes(), &ev) != nil || ev.Test == "" || strings.Contains(ev.Test, "/") {
				continue
			}
			if ev.Action == "pass" || ev.Action == "fail" {
				results = append(results, result{s.dir, ev.Test, docs[ev.Test], ev.Action, ev.Elapsed})
				failed = failed || ev.Action == "fail"
			}
		}
		if err != nil {
			failed = true
			if !strings.Contains(out.String(), `"Action":"pass"`) {
				return fmt.Errorf("go test ./%s did not run: %v\n%s", s.dir, err, tail(out.String()))
			}
		}
	}
	if len(results) == 0 {
		return fmt.Errorf("no tests ran")
	}
	sort.SliceStable(results, func(i, j int) bool { return results[i].pkg < results[j].pkg })
	var b strings.Builder
	b.WriteString(header)
	fmt.Fprintf(&b, "Generated by `make security` on %s (%s, %d cores). Each row is a test that ran; its text is the test's own doc comment.\n\n",
		time.Now().UTC().Format("2006-01-02"), runtime.Version(), runtime.NumCPU())
	b.WriteString("| package | test | what it proves | result | seconds |\n|---|---|---|---|---|\n")
	for _, r := range results {
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %.2f |\n", r.pkg, r.name, r.doc, r.outcome, r.elapsed)
	}
	if err := os.WriteFile(filepath.Join("docs", "SECURITY.md"), []byte(b.String()), 0o644); err != nil {
		return err
	}
	if failed {
		return fmt.Errorf("some security tests failed; see docs/SECURITY.md")
	}
	fmt.Printf("docs/SECURITY.md: %d tests passed\n", len(results))
	return nil
}

func tail(s string) string {
	if len(s) > 2000 {
		return s[len(s)-2000:]
	}
	return s
}

// testDocs maps each test function in dir to its doc comment, flattened to one line.
func testDocs(dir string) (map[string]string, error) {
	pkgs, err := parser.ParseDir(token.NewFileSet(), dir, func(fi os.FileInfo) bool {
		return strings.HasSuffix(fi.Name(), "_test.go")
	}, parser.ParseComments)
	if err != nil {
		return nil, err
	}
	docs := map[string]string{}
	for _, p := range pkgs {
		for _, f := range p.Files {
			for _, d := range f.Decls {
				fn, ok := d.(*ast.FuncDecl)
				if !ok || !strings.HasPrefix(fn.Name.Name, "Test") && !strings.HasPrefix(fn.Name.Name, "Fuzz") {
					continue
				}
				text := strings.Join(strings.Fields(fn.Doc.Text()), " ")
				if text == "" {
					text = "(no doc comment)"
				}
				docs[fn.Name.Name] = strings.ReplaceAll(text, "|", "\\|")
			}
		}
	}
	return docs, nil
}

const header = `# Latchkey security

## Design, in brief

- **Tokens are random and stored only as hashes.** Magic-link, session, intermediate-session
  and SCIM tokens, and project secrets, carry 256 random bits. They are shown once and stored
  only as SHA-256 hashes; lookups are by hash, and hashes are compared in constant time.
- **Session tokens name their organization and member.** This lets one BatchGetItem read
  session, member and organization. Those ids are not secrets; only the hash of the whole
  token is stored.
- **Session JWTs.** They are RS256 with a kid and live 5 minutes. The signing key is stored in
  the table (PKCS#8 PEM, the project's KEY# item) so that every Lambda instance signs with the
  same key. Restrict access to the table accordingly.
- **Single-use tokens.** They are consumed by a conditional write in the same transaction that
  activates the member and creates the session. Of concurrent redemptions, exactly one commits.
- **Tenant scoping.** Every member, guard and connection item lives under its organization's
  partition key, so a request scoped to one organization cannot address another's items.
- **Errors and logs.** Errors never include internal details. Logs hold one line per request:
  ids, route, status, latency and DynamoDB cost; never a token, secret or email body.
- **Sending limits.** Magic-link sends are rate-limited per address and per organization.
- **A person is the email a factor proved.** Sessions and intermediate sessions record the
  address their factors proved; every decision that crosses organizations (session exchange,
  discovery, IST exchange, JIT) uses only that, never a member's current email_address, which
  its organization or IdP can set to anything. Changing an address makes it unverified and
  retires the old one; deleting a member or changing its address ends every link sent before.
- **Bad input never reaches the store.** Sizes, nesting, keys, number ranges, id lengths and
  characters (NFC emails; no invisible, bidi or control characters) are checked first, and the
  matrix test sends every class of bad input to every route and compares the whole table.

## Tests

`
