using System.Text.Json;

namespace PatientStream.Consent.Policy;

internal enum ProvisionType
{
    Deny,
    Permit,
}

internal readonly record struct Coding(string? System, string Code)
{
    /// <summary>A coding without a system matches on the code alone.</summary>
    public bool Matches(string? system, string code) =>
        string.Equals(Code, code, StringComparison.Ordinal)
        && (System is null || string.Equals(System, system, StringComparison.Ordinal));
}

/// <summary>
/// One Consent.provision with the criteria the engine understands. <see cref="HasUnsupportedCriteria"/> marks a
/// provision that also restricts by something the engine cannot evaluate (securityLabel, data, a
/// modifierExtension): it is applied only where applying it can merely deny.
/// </summary>
internal sealed record Provision(
    string Name,
    ProvisionType Type,
    FhirPeriod? Period,
    IReadOnlyList<string> Actors,
    IReadOnlyList<Coding> Actions,
    IReadOnlyList<Coding> Purposes,
    IReadOnlyList<Coding> Classes,
    IReadOnlyList<Coding> Codes,
    FhirPeriod? DataPeriod,
    bool HasUnsupportedCriteria,
    IReadOnlyList<Provision> Children);

internal sealed record ParsedConsent(string Reference, string Status, IReadOnlyList<Coding> Scope, string? Patient, Provision Root);

/// <summary>A Consent the engine cannot read; it is treated as denying everything (fail closed).</summary>
public sealed class MalformedConsentException(string message) : Exception(message)
{
    public MalformedConsentException()
        : this("malformed Consent")
    {
    }

    public MalformedConsentException(string message, Exception inner)
        : this(message) => _ = inner;
}

internal static class ConsentParser
{
    private const string ActCodeSystem = "http://terminology.hl7.org/CodeSystem/v3-ActCode";

    public static string ReferenceOf(JsonElement consent) =>
        consent.ValueKind == JsonValueKind.Object && consent.TryGetProperty("id", out var id) && id.ValueKind == JsonValueKind.String
            ? "Consent/" + id.GetString()
            : "Consent/(no id)";

    public static ParsedConsent Parse(JsonElement consent)
    {
        if (consent.ValueKind != JsonValueKind.Object || String(consent, "resourceType") != "Consent")
        {
            throw new MalformedConsentException("not a Consent resource");
        }

        var status = String(consent, "status") ?? throw new MalformedConsentException("status is missing");
        IReadOnlyList<Coding> scope = consent.TryGetProperty("scope", out var s) ? Codings(s).ToList() : [];
        var patient = consent.TryGetProperty("patient", out var p) && p.ValueKind == JsonValueKind.Object ? String(p, "reference") : null;

        // Without a provision, or with an untyped root, the base policy comes from policyRule (opt-in / opt-out).
        var defaultType = PolicyRuleType(consent);
        var root = consent.TryGetProperty("provision", out var provision)
            ? ParseProvision(provision, "provision", defaultType)
            : EmptyRoot(defaultType);
        return new ParsedConsent(ReferenceOf(consent), status, scope, patient, root);
    }

    private static ProvisionType PolicyRuleType(JsonElement consent)
    {
        if (consent.TryGetProperty("policyRule", out var rule))
        {
            foreach (var coding in Codings(rule))
            {
                if (coding.Matches(ActCodeSystem, "OPTIN") || coding.Matches(ActCodeSystem, "OPTINR"))
                {
                    return ProvisionType.Permit;
                }
            }
        }

        // Opt-out, any other rule, or none at all: nothing is released by default.
        return ProvisionType.Deny;
    }

    private static Provision EmptyRoot(ProvisionType type) =>
        new("provision", type, null, [], [], [], [], [], null, false, []);

    private static Provision ParseProvision(JsonElement element, string path, ProvisionType? inheritedDefault)
    {
        if (element.ValueKind != JsonValueKind.Object)
        {
            throw new MalformedConsentException($"{path} is not an object");
        }

        var name = String(element, "id") ?? path;
        var type = String(element, "type") switch
        {
            "permit" => ProvisionType.Permit,
            "deny" => ProvisionType.Deny,
            null when inheritedDefault is { } d => d,

            // An untyped nested provision is an exception whose direction is unstated: read it as a deny.
            null => ProvisionType.Deny,
            var other => throw new MalformedConsentException($"{path}.type '{other}' is not deny or permit"),
        };

        var actors = new List<string>();
        foreach (var actor in Array(element, "actor", path))
        {
            var reference = actor.TryGetProperty("reference", out var r) && r.ValueKind == JsonValueKind.Object ? String(r, "reference") : null;
            actors.Add(reference ?? throw new MalformedConsentException($"{path}.actor has no reference"));
        }

        var children = new List<Provision>();
        var nested = Array(element, "provision", path);
        for (var i = 0; i < nested.Count; i++)
        {
            children.Add(ParseProvision(nested[i], $"{path}.provision[{i}]", null));
        }

        return new Provision(
            name,
            type,
            FhirPeriod.Parse(element, "period"),
            actors,
            Array(element, "action", path).SelectMany(Codings).ToList(),
            Array(element, "purpose", path).Select(c => Coding(c, path)).ToList(),
            Array(element, "class", path).Select(c => Coding(c, path)).ToList(),
            Array(element, "code", path).SelectMany(Codings).ToList(),
            FhirPeriod.Parse(element, "dataPeriod"),
            element.TryGetProperty("securityLabel", out _) || element.TryGetProperty("data", out _) || element.TryGetProperty("modifierExtension", out _),
            children);
    }

    private static List<JsonElement> Array(JsonElement owner, string property, string path)
    {
        if (!owner.TryGetProperty(property, out var value))
        {
            return [];
        }

        return value.ValueKind == JsonValueKind.Array
            ? value.EnumerateArray().ToList()
            : throw new MalformedConsentException($"{path}.{property} is not an array");
    }

    private static IEnumerable<Coding> Codings(JsonElement concept)
    {
        if (concept.ValueKind != JsonValueKind.Object)
        {
            throw new MalformedConsentException("a CodeableConcept is not an object");
        }

        if (!concept.TryGetProperty("coding", out var codings))
        {
            return [];
        }

        return codings.ValueKind == JsonValueKind.Array
            ? codings.EnumerateArray().Select(c => Coding(c, "coding")).ToList()
            : throw new MalformedConsentException("coding is not an array");
    }

    private static Coding Coding(JsonElement coding, string path) =>
        coding.ValueKind == JsonValueKind.Object && String(coding, "code") is { } code
            ? new Coding(String(coding, "system"), code)
            : throw new MalformedConsentException($"{path} has a Coding without a code");

    private static string? String(JsonElement owner, string property) =>
        owner.TryGetProperty(property, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
}
