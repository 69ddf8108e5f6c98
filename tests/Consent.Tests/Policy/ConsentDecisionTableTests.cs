using System.Text.Json;
using System.Text.Json.Nodes;
using PatientStream.Consent.Policy;
using PatientStream.Testing;
using static PatientStream.Consent.Tests.Policy.ConsentBuilder;
using P = PatientStream.Consent.Tests.Policy.ProvisionBuilder;

namespace PatientStream.Consent.Tests.Policy;

/// <summary>
/// The consent decision table: each row is a patient's consents, a request, and the expected decision per code
/// with the Consent and provision that must have decided it.
/// </summary>
public sealed class ConsentDecisionTableTests
{
    private const string Hr = "http://loinc.org|8867-4";
    private const string SpO2 = "http://loinc.org|59408-5";
    private const string Systolic = "http://loinc.org|8480-6";
    private const string Loinc = "http://loinc.org";
    private static readonly DateTimeOffset Now = new(2026, 11, 21, 12, 0, 0, TimeSpan.Zero);

    public static TheoryData<string> CaseNames => new(Cases.Keys);

    [Theory]
    [MemberData(nameof(CaseNames))]
    public void Decision_table(string name)
    {
        var row = Cases[name];
        var consents = row.Consents.Select(c => JsonSerializer.Deserialize<JsonElement>(c.ToJsonString())).ToList();

        var decision = new ConsentEngine(new ManualClock(Now)).Decide(row.Request, consents);

        Assert.Equal(row.Expected.Length, decision.Codes.Count);
        for (var i = 0; i < row.Expected.Length; i++)
        {
            var (outcome, consent, provision) = row.Expected[i];
            var actual = decision.Codes[i];
            Assert.Equal(row.Request.Codes[i], actual.Code);
            Assert.True(
                (outcome, consent, provision) == (actual.Decision, actual.Consent, actual.Provision),
                $"{name}: code {actual.Code} expected {outcome} by {consent}/{provision}, got {actual.Decision} by {actual.Consent}/{actual.Provision}; reasons: {string.Join("; ", decision.Reasons)}");
        }

        var permits = row.Expected.Count(e => e.Outcome == DecisionOutcome.Permit);
        var overall = permits == row.Expected.Length ? DecisionOutcome.Permit : permits == 0 ? DecisionOutcome.Deny : DecisionOutcome.Partial;
        Assert.Equal(overall, decision.Decision);
        if (overall != DecisionOutcome.Permit)
        {
            Assert.NotEmpty(decision.Reasons);
        }
    }

    [Fact]
    public void Table_has_at_least_forty_rows() => Assert.True(Cases.Count >= 40, $"only {Cases.Count} rows");

    private static ConsentRequest Treat(params string[] codes) => new(Patient, "TREAT", codes);

    private static ConsentRequest Request(string purpose, params string[] codes) => new(Patient, purpose, codes);

    private static (DecisionOutcome Outcome, string? Consent, string? Provision) Permit(string consent, string provision = "provision") =>
        (DecisionOutcome.Permit, consent, provision);

    private static (DecisionOutcome Outcome, string? Consent, string? Provision) Deny(string consent, string provision = "provision") =>
        (DecisionOutcome.Deny, consent, provision);

    private static readonly (DecisionOutcome Outcome, string? Consent, string? Provision) NoConsent = (DecisionOutcome.Deny, null, null);

    private static JsonObject WithPolicyRule(JsonObject consent, string code)
    {
        consent["policyRule"] = new JsonObject
        {
            ["coding"] = new JsonArray(new JsonObject { ["system"] = "http://terminology.hl7.org/CodeSystem/v3-ActCode", ["code"] = code }),
        };
        return consent;
    }

    private sealed record Row(JsonObject[] Consents, ConsentRequest Request, params (DecisionOutcome Outcome, string? Consent, string? Provision)[] Expected);

    private static readonly Dictionary<string, Row> Cases = new(StringComparer.Ordinal)
    {
        ["active privacy permit releases"] = new([Given("a", P.Permit())], Treat(Hr), Permit("Consent/a")),
        ["no consent at all is a deny"] = new([], Treat(Hr), NoConsent),
        ["withdrawn (inactive) consent does not permit"] = new([Given("a", P.Permit(), status: "inactive")], Treat(Hr), NoConsent),
        ["draft consent does not permit"] = new([Given("a", P.Permit(), status: "draft")], Treat(Hr), NoConsent),
        ["rejected consent does not permit"] = new([Given("a", P.Permit(), status: "rejected")], Treat(Hr), NoConsent),
        ["entered-in-error consent does not permit"] = new([Given("a", P.Permit(), status: "entered-in-error")], Treat(Hr), NoConsent),
        ["expired period does not permit"] = new([Given("a", P.Permit().Period("2025-01-01", "2026-11-01"))], Treat(Hr), NoConsent),
        ["future period does not permit yet"] = new([Given("a", P.Permit().Period("2026-12-01", null))], Treat(Hr), NoConsent),
        ["period in force permits"] = new([Given("a", P.Permit().Period("2026-01-01T00:00:00Z", "2027-01-01T00:00:00Z"))], Treat(Hr), Permit("Consent/a")),
        ["date-only period end covers the whole day"] = new([Given("a", P.Permit().Period("2026-11-01", "2026-11-21"))], Treat(Hr), Permit("Consent/a")),
        ["expired a second before now"] = new([Given("a", P.Permit().Period(null, "2026-11-21T11:59:59Z"))], Treat(Hr), NoConsent),
        ["root deny (opt-out) denies"] = new([Given("a", P.Deny())], Treat(Hr), Deny("Consent/a")),
        ["research consent covers research purpose"] = new([Given("a", P.Permit(), scope: "research")], Request("HRESCH", Hr), Permit("Consent/a")),
        ["research consent covers clinical-trial research"] = new([Given("a", P.Permit(), scope: "research")], Request("CLINTRCH", Hr), Permit("Consent/a")),
        ["research consent does not cover treatment"] = new([Given("a", P.Permit(), scope: "research")], Treat(Hr), NoConsent),
        ["treatment consent covers treatment"] = new([Given("a", P.Permit(), scope: "treatment")], Treat(Hr), Permit("Consent/a")),
        ["treatment consent covers emergency treatment"] = new([Given("a", P.Permit(), scope: "treatment")], Request("ETREAT", Hr), Permit("Consent/a")),
        ["treatment consent does not cover research"] = new([Given("a", P.Permit(), scope: "treatment")], Request("HRESCH", Hr), NoConsent),
        ["privacy consent covers research"] = new([Given("a", P.Permit())], Request("HRESCH", Hr), Permit("Consent/a")),
        ["advance directive scope governs no data"] = new([Given("a", P.Permit(), scope: "adr")], Treat(Hr), NoConsent),
        ["nested deny inside permit excludes one code"] = new(
            [Given("a", P.Permit().Nested(P.Deny().Id("no-hr").Code(Loinc, "8867-4")))],
            Treat(Hr, SpO2),
            Deny("Consent/a", "no-hr"), Permit("Consent/a")),
        ["nested permit inside deny releases one code"] = new(
            [Given("a", P.Deny().Nested(P.Permit().Code(Loinc, "8867-4")))],
            Treat(Hr, SpO2),
            Permit("Consent/a", "provision.provision[0]"), Deny("Consent/a")),
        ["deepest of three levels decides"] = new(
            [Given("a", P.Permit().Nested(P.Deny().Id("obs").Class("Observation").Nested(P.Permit().Id("hr").Code(Loinc, "8867-4"))))],
            Treat(Hr, SpO2),
            Permit("Consent/a", "hr"), Deny("Consent/a", "obs")),
        ["nested deny for research does not touch treatment"] = new(
            [Given("a", P.Permit().Nested(P.Deny().Purpose("HRESCH")))], Treat(Hr), Permit("Consent/a")),
        ["nested deny for research denies research"] = new(
            [Given("a", P.Permit().Nested(P.Deny().Purpose("HRESCH")))], Request("CLINTRCH", Hr), Deny("Consent/a", "provision.provision[0]")),
        ["nested permit for treatment covers emergency treatment"] = new(
            [Given("a", P.Deny().Nested(P.Permit().Purpose("TREAT")))], Request("ETREAT", Hr), Permit("Consent/a", "provision.provision[0]")),
        ["actor restriction permits the named actor"] = new(
            [Given("a", P.Deny().Nested(P.Permit().Id("clinic").Actor("Organization/clinic")))],
            Treat(Hr) with { Actor = "Organization/clinic" },
            Permit("Consent/a", "clinic")),
        ["actor restriction refuses another actor"] = new(
            [Given("a", P.Deny().Nested(P.Permit().Actor("Organization/clinic")))],
            Treat(Hr) with { Actor = "Organization/insurer" },
            Deny("Consent/a")),
        ["unknown actor is not released by an actor-bound permit"] = new(
            [Given("a", P.Deny().Nested(P.Permit().Actor("Organization/clinic")))], Treat(Hr), Deny("Consent/a")),
        ["unknown actor is caught by an actor-bound deny"] = new(
            [Given("a", P.Permit().Nested(P.Deny().Id("insurer").Actor("Organization/insurer")))], Treat(Hr), Deny("Consent/a", "insurer")),
        ["action restriction ignores other actions"] = new(
            [Given("a", P.Permit().Nested(P.Deny().Action("disclose")))], Treat(Hr) with { Action = "access" }, Permit("Consent/a")),
        ["action restriction denies its action"] = new(
            [Given("a", P.Permit().Nested(P.Deny().Id("nd").Action("disclose")))], Treat(Hr) with { Action = "disclose" }, Deny("Consent/a", "nd")),
        ["class-level permit for Observation"] = new(
            [Given("a", P.Deny().Nested(P.Permit().Id("obs").Class("Observation")))], Treat(Hr, SpO2), Permit("Consent/a", "obs"), Permit("Consent/a", "obs")),
        ["class-level permit for another class"] = new(
            [Given("a", P.Deny().Nested(P.Permit().Class("DiagnosticReport")))], Treat(Hr), Deny("Consent/a")),
        ["class-level deny inside permit"] = new(
            [Given("a", P.Permit().Nested(P.Deny().Id("obs").Class("Observation")))], Treat(Hr), Deny("Consent/a", "obs")),
        ["code-level permit needs the same system"] = new(
            [Given("a", P.Deny().Nested(P.Permit().Code("http://snomed.info/sct", "8867-4")))], Treat(Hr), Deny("Consent/a")),
        ["two consents, one denies: deny overrides"] = new(
            [Given("a", P.Permit()), Given("b", P.Deny())], Treat(Hr), Deny("Consent/b")),
        ["two consents, deny listed first still wins"] = new(
            [Given("b", P.Deny().Nested(P.Permit().Code(Loinc, "59408-5"))), Given("a", P.Permit())],
            Treat(Hr, SpO2),
            Deny("Consent/b"), Permit("Consent/b", "provision.provision[0]")),
        ["two consents, both permit"] = new([Given("a", P.Permit()), Given("b", P.Permit())], Treat(Hr), Permit("Consent/a")),
        ["research deny does not block treatment permit"] = new(
            [Given("a", P.Permit()), Given("r", P.Deny(), scope: "research")], Treat(Hr), Permit("Consent/a")),
        ["research deny blocks research despite privacy permit"] = new(
            [Given("a", P.Permit()), Given("r", P.Deny(), scope: "research")], Request("HRESCH", Hr), Deny("Consent/r")),
        ["expired deny no longer overrides"] = new(
            [Given("a", P.Permit()), Given("b", P.Deny().Period("2025-01-01", "2025-12-31"))], Treat(Hr), Permit("Consent/a")),
        ["withdrawn deny no longer overrides"] = new(
            [Given("a", P.Permit()), Given("b", P.Deny(), status: "inactive")], Treat(Hr), Permit("Consent/a")),
        ["dataPeriod deny covers data inside it"] = new(
            [Given("a", P.Permit().Nested(P.Deny().Id("spring").DataPeriod("2026-01", "2026-06")))],
            Treat(Hr) with { DataTime = new DateTimeOffset(2026, 3, 15, 8, 0, 0, TimeSpan.Zero) },
            Deny("Consent/a", "spring")),
        ["dataPeriod deny leaves data outside it"] = new(
            [Given("a", P.Permit().Nested(P.Deny().DataPeriod("2026-01", "2026-06")))],
            Treat(Hr) with { DataTime = new DateTimeOffset(2026, 11, 20, 8, 0, 0, TimeSpan.Zero) },
            Permit("Consent/a")),
        ["dataPeriod deny applies when the data time is unknown"] = new(
            [Given("a", P.Permit().Nested(P.Deny().Id("spring").DataPeriod("2026-01", "2026-06")))], Treat(Hr), Deny("Consent/a", "spring")),
        ["dataPeriod permit does not release data of unknown time"] = new(
            [Given("a", P.Deny().Nested(P.Permit().DataPeriod("2026-01", null)))], Treat(Hr), Deny("Consent/a")),
        ["nested deny whose period ended no longer applies"] = new(
            [Given("a", P.Permit().Nested(P.Deny().Period("2026-01-01", "2026-02-01")))], Treat(Hr), Permit("Consent/a")),
        ["consent of another patient is ignored"] = new([Given("a", P.Permit(), patient: "Patient/999")], Treat(Hr), NoConsent),
        ["malformed consent denies everything"] = new(
            [Given("a", P.Permit()), Given("bad", P.Permit().Type("maybe"))], Treat(Hr), (DecisionOutcome.Deny, "Consent/bad", null)),
        ["matching siblings: deny beats permit"] = new(
            [Given("a", P.Deny().Nested(P.Permit().Id("p").Code(Loinc, "8867-4")).Nested(P.Deny().Id("d").Purpose("TREAT")))],
            Treat(Hr),
            Deny("Consent/a", "d")),
        ["unsupported criterion never releases"] = new(
            [Given("a", P.Deny().Nested(P.Permit().SecurityLabel("N")))], Treat(Hr), Deny("Consent/a")),
        ["unsupported criterion still restricts"] = new(
            [Given("a", P.Permit().Nested(P.Deny().Id("r").SecurityLabel("R")))], Treat(Hr), Deny("Consent/a", "r")),
        ["untyped nested provision is read as a deny"] = new(
            [Given("a", P.Permit().Nested(P.Untyped().Id("u").Code(Loinc, "8867-4")))], Treat(Hr, SpO2), Deny("Consent/a", "u"), Permit("Consent/a")),
        ["three codes, one excluded, named per code"] = new(
            [Given("a", P.Permit().Id("root").Nested(P.Deny().Id("bp").Code(Loinc, "8480-6")))],
            Treat(Hr, Systolic, SpO2),
            Permit("Consent/a", "root"), Deny("Consent/a", "bp"), Permit("Consent/a", "root")),
        ["opt-in policy rule without provisions permits"] = new([WithPolicyRule(Given("a", null), "OPTIN")], Treat(Hr), Permit("Consent/a")),
        ["opt-out policy rule without provisions denies"] = new([WithPolicyRule(Given("a", null), "OPTOUT")], Treat(Hr), Deny("Consent/a")),
        ["no provision and no policy rule denies"] = new([Given("a", null)], Treat(Hr), Deny("Consent/a")),
        ["opt-in policy rule with an untyped root keeps nested denies"] = new(
            [WithPolicyRule(Given("a", P.Untyped().Nested(P.Deny().Id("bp").Code(Loinc, "8480-6"))), "OPTIN")],
            Treat(Hr, Systolic),
            Permit("Consent/a"), Deny("Consent/a", "bp")),
        ["purpose given with its system"] = new(
            [Given("a", P.Permit(), scope: "treatment")], Request("http://terminology.hl7.org/CodeSystem/v3-ActReason|TREAT", Hr), Permit("Consent/a")),
        ["purpose from a foreign system is not treatment"] = new(
            [Given("a", P.Permit(), scope: "treatment")], Request("http://example.org/purpose|TREAT", Hr), NoConsent),
    };
}
