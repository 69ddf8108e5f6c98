using System.Text.Json.Serialization;

namespace PatientStream.Consent.Policy;

/// <summary>The outcome of a decision; per-code outcomes are only ever permit or deny.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<DecisionOutcome>))]
public enum DecisionOutcome
{
    [JsonStringEnumMemberName("permit")] Permit,
    [JsonStringEnumMemberName("deny")] Deny,
    [JsonStringEnumMemberName("partial")] Partial,
}

/// <summary>
/// A question put to the consent engine: may these codes of this patient's data be used for this purpose.
/// Absent optional attributes are never guessed: a provision that depends on one is applied only when that
/// can merely restrict (a deny), never when it would release data (a permit).
/// </summary>
/// <param name="Patient">"Patient/123".</param>
/// <param name="Purpose">A v3 PurposeOfUse code ("TREAT") or "system|code".</param>
/// <param name="Codes">Data codes as "system|code", e.g. "http://loinc.org|8867-4".</param>
/// <param name="Actor">The recipient, e.g. "Organization/x".</param>
/// <param name="Device">The producing device, e.g. "Device/y".</param>
/// <param name="DataTime">When the data was produced (matched against provision.dataPeriod).</param>
/// <param name="Action">A consent action code (collect, access, use, disclose, correct).</param>
/// <param name="ResourceClass">The FHIR resource type the data is released as (provision.class).</param>
public sealed record ConsentRequest(
    string Patient,
    string Purpose,
    IReadOnlyList<string> Codes,
    string? Actor = null,
    string? Device = null,
    DateTimeOffset? DataTime = null,
    string? Action = null,
    string? ResourceClass = ConsentRequest.DefaultResourceClass)
{
    /// <summary>Readings leave the edge as Observations.</summary>
    public const string DefaultResourceClass = "Observation";
}

/// <summary>The decision for one code, naming the Consent and provision that decided it (none when no consent applied).</summary>
public sealed record CodeDecision(
    [property: JsonPropertyName("code")] string Code,
    [property: JsonPropertyName("decision")] DecisionOutcome Decision,
    [property: JsonPropertyName("consent")] string? Consent,
    [property: JsonPropertyName("provision")] string? Provision);

/// <summary>The engine's answer: permit when every code is permitted, deny when none is, partial otherwise.</summary>
public sealed record ConsentDecision(
    [property: JsonPropertyName("decision")] DecisionOutcome Decision,
    [property: JsonPropertyName("codes")] IReadOnlyList<CodeDecision> Codes,
    [property: JsonPropertyName("reasons")] IReadOnlyList<string> Reasons)
{
    /// <summary>
    /// Whether the data time could change this decision (an applicable consent has a dataPeriod). When false, the
    /// decision holds for every reading of the same question, which is what lets the edge cache it.
    /// </summary>
    [JsonIgnore]
    public bool DependsOnDataTime { get; init; }

    public bool IsPermitted(string code) =>
        Codes.Any(c => c.Decision == DecisionOutcome.Permit && string.Equals(c.Code, code, StringComparison.Ordinal));

    internal static DecisionOutcome Combine(IReadOnlyList<CodeDecision> codes)
    {
        if (codes.Count == 0)
        {
            return DecisionOutcome.Deny;
        }

        var permitted = codes.Count(c => c.Decision == DecisionOutcome.Permit);
        return permitted == codes.Count ? DecisionOutcome.Permit
            : permitted == 0 ? DecisionOutcome.Deny
            : DecisionOutcome.Partial;
    }
}
