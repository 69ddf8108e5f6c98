using System.Text.Json.Nodes;

namespace PatientStream.Analytics.Kafka;

/// <summary>What a set of Conditions says about one clinical flag: present, ruled out, or nothing.</summary>
public enum ConditionFinding
{
    NotMentioned = 0,
    Present = 1,
    Absent = 2,
}

/// <summary>
/// The Condition codes that change how a patient is scored. Matching is by exact system and code (ICD-10 heart
/// failure by its I50 category) — there is no terminology server here, so a SNOMED CT descendant that is not listed
/// does not match: sites add the codes their EHR uses.
/// </summary>
/// <remarks>
/// Hypercapnic (type 2) respiratory failure, which puts NEWS2 on SpO2 scale 2:
/// SNOMED CT 426896000 (chronic hypercapnic respiratory failure); ICD-10-CM J96.02, J96.12, J96.22, J96.92 (respiratory
/// failure "with hypercapnia"); WHO ICD-10 J96.01, J96.11, J96.91 (optional fifth character 1 = type II
/// [hypercapnic]). The same code means different things in the two ICD-10 systems (ICD-10-CM J96.01 is "with
/// hypoxia"), so the system is always checked.
/// Heart failure, which turns on the weight-gain watch: SNOMED CT 84114007 (heart failure), 42343007 (congestive heart
/// failure); ICD-10 and ICD-10-CM I50 and every code below it.
/// </remarks>
public sealed record ClinicalConditionCodes
{
    public const string Snomed = "http://snomed.info/sct";
    public const string Icd10 = "http://hl7.org/fhir/sid/icd-10";
    public const string Icd10Cm = "http://hl7.org/fhir/sid/icd-10-cm";

    public static ClinicalConditionCodes Default { get; } = new();

    /// <summary>(system, code) pairs of hypercapnic respiratory failure.</summary>
    public IReadOnlySet<(string System, string Code)> HypercapnicRespiratoryFailure { get; init; } = new HashSet<(string, string)>
    {
        (Snomed, "426896000"),
        (Icd10Cm, "J96.02"), (Icd10Cm, "J96.12"), (Icd10Cm, "J96.22"), (Icd10Cm, "J96.92"),
        (Icd10, "J96.01"), (Icd10, "J96.11"), (Icd10, "J96.91"),
    };

    /// <summary>(system, code) pairs of heart failure.</summary>
    public IReadOnlySet<(string System, string Code)> HeartFailure { get; init; } = new HashSet<(string, string)>
    {
        (Snomed, "84114007"), (Snomed, "42343007"),
    };

    /// <summary>ICD-10 categories of heart failure: a code matches when it is the category or below it (I50, I50.9, I50.23).</summary>
    public IReadOnlySet<string> HeartFailureIcd10Categories { get; init; } = new HashSet<string>(StringComparer.Ordinal) { "I50" };

    /// <summary>What <paramref name="conditions"/> (FHIR R4 Condition JSON) say about each flag; a present one wins over a ruled-out one.</summary>
    public (ConditionFinding HypercapnicRespiratoryFailure, ConditionFinding HeartFailure) Evaluate(IEnumerable<JsonObject> conditions)
    {
        ArgumentNullException.ThrowIfNull(conditions);
        var hypercapnic = ConditionFinding.NotMentioned;
        var heartFailure = ConditionFinding.NotMentioned;
        foreach (var condition in conditions)
        {
            var codings = Codings(condition).ToList();
            var finding = IsCurrent(condition) ? ConditionFinding.Present : ConditionFinding.Absent;
            if (codings.Any(HypercapnicRespiratoryFailure.Contains))
            {
                hypercapnic = Combine(hypercapnic, finding);
            }
            if (codings.Any(IsHeartFailure))
            {
                heartFailure = Combine(heartFailure, finding);
            }
        }
        return (hypercapnic, heartFailure);
    }

    private bool IsHeartFailure((string System, string Code) coding) =>
        HeartFailure.Contains(coding)
        || (coding.System is Icd10 or Icd10Cm
            && HeartFailureIcd10Categories.Any(c => coding.Code == c || coding.Code.StartsWith(c + ".", StringComparison.Ordinal)));

    private static ConditionFinding Combine(ConditionFinding current, ConditionFinding next) =>
        current == ConditionFinding.Present || next == ConditionFinding.Present ? ConditionFinding.Present : ConditionFinding.Absent;

    /// <summary>
    /// Current means clinically active (active, recurrence, relapse, or no status given) and not refuted or entered in
    /// error. Resolved, inactive and remission rule the flag out.
    /// </summary>
    private static bool IsCurrent(JsonObject condition)
    {
        var clinical = FirstCode(condition["clinicalStatus"]);
        var verification = FirstCode(condition["verificationStatus"]);
        return clinical is null or "active" or "recurrence" or "relapse" && verification is not ("refuted" or "entered-in-error");
    }

    private static IEnumerable<(string System, string Code)> Codings(JsonObject condition) =>
        ((condition["code"] as JsonObject)?["coding"] as JsonArray ?? [])
            .OfType<JsonObject>()
            .Select(c => (System: Text(c["system"]), Code: Text(c["code"])))
            .Where(c => c.System is not null && c.Code is not null)
            .Select(c => (c.System!, c.Code!.Trim()));

    private static string? FirstCode(JsonNode? concept) =>
        ((concept as JsonObject)?["coding"] as JsonArray)?.OfType<JsonObject>().Select(c => Text(c["code"])).FirstOrDefault(c => c is not null);

    private static string? Text(JsonNode? node) => node is JsonValue value && value.TryGetValue<string>(out var text) ? text : null;
}
