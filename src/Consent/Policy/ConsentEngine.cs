using System.Text.Json;

namespace PatientStream.Consent.Policy;

/// <summary>
/// Decides requests against a patient's FHIR R4 Consent resources. Rules: only active consents apply, and only
/// while the root provision's period is in force; a consent's scope limits the purposes it speaks to
/// (research → research purposes, treatment → treatment purposes, patient-privacy → any); inside a consent the
/// root provision's type is the default and the deepest matching nested provision decides (a deny wins between
/// matching siblings); across consents a deny overrides a permit; with no applicable consent the answer is deny.
/// </summary>
public sealed class ConsentEngine(TimeProvider clock)
{
    private const string ScopeSystem = "http://terminology.hl7.org/CodeSystem/consentscope";
    private const string ResourceTypesSystem = "http://hl7.org/fhir/resource-types";

    private readonly TimeProvider _clock = clock;

    private enum Match
    {
        No,
        Yes,

        // The provision depends on something the request does not say (or the engine cannot evaluate).
        Unknown,
    }

    public ConsentDecision Decide(ConsentRequest request, IEnumerable<JsonElement> consents)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(consents);

        var now = _clock.GetUtcNow();
        var reasons = new List<string>();
        var applicable = new List<ParsedConsent>();
        var malformed = new List<string>();
        foreach (var element in consents)
        {
            ParsedConsent consent;
            try
            {
                consent = ConsentParser.Parse(element);
            }
            catch (MalformedConsentException ex)
            {
                var reference = ConsentParser.ReferenceOf(element);
                malformed.Add(reference);
                reasons.Add($"{reference} is malformed ({ex.Message}); it is read as a deny");
                continue;
            }

            if (IsApplicable(consent, request, now, reasons))
            {
                applicable.Add(consent);
            }
        }

        var codes = new List<CodeDecision>(request.Codes.Count);
        foreach (var code in request.Codes)
        {
            codes.Add(DecideCode(code, request, now, applicable, malformed, reasons));
        }

        return new ConsentDecision(ConsentDecision.Combine(codes), codes, reasons)
        {
            DependsOnDataTime = applicable.Any(c => HasDataPeriod(c.Root)),
        };
    }

    private static bool IsApplicable(ParsedConsent consent, ConsentRequest request, DateTimeOffset now, List<string> reasons)
    {
        if (consent.Status != "active")
        {
            reasons.Add($"{consent.Reference} is {consent.Status}, not active");
            return false;
        }

        if (!string.Equals(consent.Patient, request.Patient, StringComparison.Ordinal))
        {
            reasons.Add($"{consent.Reference} is for another patient");
            return false;
        }

        if (consent.Root.Period is { } period && !period.Contains(now))
        {
            reasons.Add(period.Start > now
                ? $"{consent.Reference} is not yet in force"
                : $"{consent.Reference} has expired");
            return false;
        }

        var (system, purpose) = PurposeOfUse.Split(request.Purpose);
        if (consent.Scope.Any(c => c.Matches(ScopeSystem, "patient-privacy")))
        {
            return true;
        }

        if (consent.Scope.Any(c => c.Matches(ScopeSystem, "research")))
        {
            return Report(PurposeOfUse.IsResearch(system, purpose), $"{consent.Reference} is a research consent and does not cover purpose {purpose}");
        }

        if (consent.Scope.Any(c => c.Matches(ScopeSystem, "treatment")))
        {
            return Report(PurposeOfUse.IsTreatment(system, purpose), $"{consent.Reference} is a treatment consent and does not cover purpose {purpose}");
        }

        reasons.Add($"{consent.Reference} has a scope that does not govern data use");
        return false;

        bool Report(bool covered, string reason)
        {
            if (!covered)
            {
                reasons.Add(reason);
            }

            return covered;
        }
    }

    private static CodeDecision DecideCode(
        string code, ConsentRequest request, DateTimeOffset now, List<ParsedConsent> applicable, List<string> malformed, List<string> reasons)
    {
        if (malformed.Count > 0)
        {
            reasons.Add($"{code} is denied because {malformed[0]} cannot be read");
            return new CodeDecision(code, DecisionOutcome.Deny, malformed[0], null);
        }

        CodeDecision? permit = null;
        foreach (var consent in applicable)
        {
            var root = consent.Root;
            if (!Applies(root, code, request, now))
            {
                continue;
            }

            var decider = Deepest(root, code, request, now);
            if (decider.Type == ProvisionType.Deny)
            {
                // Deny overrides permit: nothing another consent says can release this code.
                reasons.Add($"{code} is denied by {consent.Reference} ({decider.Name})");
                return new CodeDecision(code, DecisionOutcome.Deny, consent.Reference, decider.Name);
            }

            permit ??= new CodeDecision(code, DecisionOutcome.Permit, consent.Reference, decider.Name);
        }

        if (permit is null)
        {
            reasons.Add($"no applicable consent permits {code}");
            return new CodeDecision(code, DecisionOutcome.Deny, null, null);
        }

        return permit;
    }

    private static Provision Deepest(Provision node, string code, ConsentRequest request, DateTimeOffset now)
    {
        Provision? decided = null;
        foreach (var child in node.Children)
        {
            if (!Applies(child, code, request, now))
            {
                continue;
            }

            var deepest = Deepest(child, code, request, now);
            if (deepest.Type == ProvisionType.Deny)
            {
                return deepest;
            }

            decided ??= deepest;
        }

        return decided ?? node;
    }

    /// <summary>Whether a provision applies; an unknown match applies only to a deny, so missing facts never release data.</summary>
    private static bool Applies(Provision provision, string code, ConsentRequest request, DateTimeOffset now) =>
        Evaluate(provision, code, request, now) switch
        {
            Match.Yes => true,
            Match.Unknown => provision.Type == ProvisionType.Deny,
            _ => false,
        };

    private static Match Evaluate(Provision p, string code, ConsentRequest request, DateTimeOffset now)
    {
        if (p.Period is { } period && !period.Contains(now))
        {
            return Match.No;
        }

        var (purposeSystem, purpose) = PurposeOfUse.Split(request.Purpose);
        var (codeSystem, codeValue) = SplitCode(code);
        var (actionSystem, action) = request.Action is { } a ? SplitCode(a) : (null, null);
        Match[] criteria =
        [
            p.Actors.Count == 0 ? Match.Yes
                : request.Actor is null ? Match.Unknown
                : Of(p.Actors.Contains(request.Actor, StringComparer.Ordinal)),
            p.Actions.Count == 0 ? Match.Yes
                : action is null ? Match.Unknown
                : Of(p.Actions.Any(c => c.Matches(actionSystem ?? "http://terminology.hl7.org/CodeSystem/consentaction", action))),
            p.Purposes.Count == 0 ? Match.Yes
                : Of(PurposeOfUse.SelfAndAncestors(purpose).Any(ancestor => p.Purposes.Any(c => c.Matches(purposeSystem, ancestor)))),
            p.Classes.Count == 0 ? Match.Yes
                : request.ResourceClass is null ? Match.Unknown
                : Of(p.Classes.Any(c => c.Matches(ResourceTypesSystem, request.ResourceClass))),
            p.Codes.Count == 0 ? Match.Yes : Of(p.Codes.Any(c => c.Matches(codeSystem, codeValue))),
            p.DataPeriod is null ? Match.Yes
                : request.DataTime is null ? Match.Unknown
                : Of(p.DataPeriod.Contains(request.DataTime.Value)),
            p.HasUnsupportedCriteria ? Match.Unknown : Match.Yes,
        ];

        return criteria.Contains(Match.No) ? Match.No
            : criteria.Contains(Match.Unknown) ? Match.Unknown
            : Match.Yes;

        static Match Of(bool value) => value ? Match.Yes : Match.No;
    }

    private static bool HasDataPeriod(Provision provision) =>
        provision.DataPeriod is not null || provision.Children.Any(HasDataPeriod);

    internal static (string? System, string Code) SplitCode(string code)
    {
        var bar = code.LastIndexOf('|');
        return bar < 0 ? (null, code) : (code[..bar], code[(bar + 1)..]);
    }
}
