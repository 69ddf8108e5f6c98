using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using PatientStream.Analytics.Contracts;
using PatientStream.Analytics.News2;

namespace PatientStream.Analytics.Output;

/// <summary>FHIR R4 JSON for what the analytics conclude.</summary>
public static class FhirResources
{
    /// <summary>Base of the code systems and extensions PatientStream defines.</summary>
    public const string Base = "https://patientstream.example/fhir";

    /// <summary>Extension carrying the NEWS2 aggregate score on a RiskAssessment.</summary>
    public const string News2ScoreExtension = Base + "/StructureDefinition/news2-score";

    /// <summary>Code system of analytics methods (NEWS2).</summary>
    public const string MethodSystem = Base + "/CodeSystem/analytics-method";

    /// <summary>Code system of the four NEWS2 clinical risk bands.</summary>
    public const string News2RiskSystem = Base + "/CodeSystem/news2-clinical-risk";

    /// <summary>Code system of alert kinds (see <see cref="AlertKinds"/>).</summary>
    public const string AlertKindSystem = Base + "/CodeSystem/alert-kind";

    /// <summary>A FHIR id derived from its parts: the same inputs give the same id, so replays overwrite rather than add.</summary>
    public static string StableId(params string[] parts)
    {
        ArgumentNullException.ThrowIfNull(parts);
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(string.Join('\u001f', parts)));
        return Convert.ToHexStringLower(hash.AsSpan(0, 16));
    }

    /// <summary>RiskAssessment of method NEWS2: score (extension and rationale), band (qualitativeRisk), basis (the Observations used).</summary>
    public static JsonObject RiskAssessment(string patientId, News2Result result)
    {
        ArgumentNullException.ThrowIfNull(result);
        var basis = new JsonArray();
        foreach (var reference in result.Scores.Select(s => s.Reading.ObservationReference).OfType<string>().Distinct(StringComparer.Ordinal))
        {
            basis.Add(new JsonObject { ["reference"] = reference });
        }

        var resource = new JsonObject
        {
            ["resourceType"] = "RiskAssessment",
            ["id"] = StableId("news2", patientId, Instant(result.At)),
            ["extension"] = new JsonArray(new JsonObject { ["url"] = News2ScoreExtension, ["valueInteger"] = result.AggregateScore }),
            // Preliminary: with parameters missing the true score can only be equal or higher.
            ["status"] = result.IsComplete ? "final" : "preliminary",
            ["method"] = Concept(MethodSystem, "NEWS2", "National Early Warning Score 2 (Royal College of Physicians, 2017)", "NEWS2"),
            ["subject"] = PatientReference(patientId),
            ["occurrenceDateTime"] = Instant(result.At),
            ["prediction"] = new JsonArray(new JsonObject
            {
                ["outcome"] = new JsonObject { ["text"] = "Acute clinical deterioration" },
                ["qualitativeRisk"] = new JsonObject
                {
                    ["coding"] = new JsonArray(
                        Coding("http://terminology.hl7.org/CodeSystem/risk-probability", RiskProbability(result.Risk), null),
                        Coding(News2RiskSystem, RiskCode(result.Risk), RiskDisplay(result.Risk))),
                    ["text"] = RiskDisplay(result.Risk),
                },
                ["rationale"] = Rationale(result),
            }),
        };
        if (basis.Count > 0)
        {
            resource["basis"] = basis;
        }

        if (Note(result) is { } note)
        {
            resource["note"] = new JsonArray(new JsonObject { ["text"] = note });
        }

        return resource;
    }

    /// <summary>Flag for an alert; active until resolved, then inactive with the period closed.</summary>
    public static JsonObject Flag(AlertRecord alert, AlertKind kind)
    {
        ArgumentNullException.ThrowIfNull(alert);
        var period = new JsonObject { ["start"] = Instant(alert.RaisedAt) };
        if (alert.Transition == AlertTransition.Resolved)
        {
            period["end"] = Instant(alert.Time);
        }

        return new JsonObject
        {
            ["resourceType"] = "Flag",
            ["id"] = alert.AlertId,
            ["extension"] = new JsonArray(new JsonObject
            {
                ["url"] = "http://hl7.org/fhir/StructureDefinition/flag-priority",
                ["valueCodeableConcept"] = Concept("http://hl7.org/fhir/flag-priority-code", Priority(alert.Severity), null, null),
            }),
            ["status"] = alert.Transition == AlertTransition.Resolved ? "inactive" : "active",
            ["category"] = new JsonArray(Concept(
                "http://terminology.hl7.org/CodeSystem/flag-category",
                AlertKinds.IsDataQuality(kind) ? "admin" : "clinical",
                AlertKinds.IsDataQuality(kind) ? "Administrative" : "Clinical",
                null)),
            ["code"] = Concept(AlertKindSystem, alert.Kind, AlertKinds.Display(kind), alert.Summary),
            ["subject"] = PatientReference(alert.PatientId),
            ["period"] = period,
        };
    }

    /// <summary>FHIR instant text (UTC, milliseconds).</summary>
    public static string Instant(DateTimeOffset time) => time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    // The edge keys readings by the binding's patient, a reference ("Patient/123"); a bare id is accepted as well.
    private static JsonObject PatientReference(string patientId) =>
        new() { ["reference"] = patientId.Contains('/', StringComparison.Ordinal) ? patientId : "Patient/" + patientId };

    private static JsonObject Coding(string system, string code, string? display)
    {
        var coding = new JsonObject { ["system"] = system, ["code"] = code };
        if (display is not null)
        {
            coding["display"] = display;
        }

        return coding;
    }

    private static JsonObject Concept(string system, string code, string? display, string? text)
    {
        var concept = new JsonObject { ["coding"] = new JsonArray(Coding(system, code, display)) };
        if (text is not null)
        {
            concept["text"] = text;
        }

        return concept;
    }

    private static string Rationale(News2Result result)
    {
        var parts = string.Join(", ", result.Scores.Select(s => FormattableString.Invariant($"{s.Parameter} {s.Score}")));
        var red = result.HasSingleParameterScoreOf3 ? "; a single parameter scored 3" : "";
        return FormattableString.Invariant($"NEWS2 aggregate score {result.AggregateScore} (SpO2 scale {(int)result.Scale}){red}. Scores: {parts}.");
    }

    private static string? Note(News2Result result)
    {
        var notes = new List<string>();
        if (!result.IsComplete)
        {
            notes.Add("Parameters missing in their validity window: " + string.Join(", ", result.Missing) + ".");
        }

        if (result.AssumedAir)
        {
            notes.Add("Supplemental oxygen not recorded; air assumed.");
        }

        return notes.Count == 0 ? null : string.Join(' ', notes);
    }

    private static string RiskProbability(ClinicalRisk risk) => risk switch
    {
        ClinicalRisk.Low => "low",
        ClinicalRisk.High => "high",
        _ => "moderate",
    };

    private static string RiskCode(ClinicalRisk risk) => risk switch
    {
        ClinicalRisk.Low => "low",
        ClinicalRisk.LowMedium => "low-medium",
        ClinicalRisk.Medium => "medium",
        _ => "high",
    };

    private static string RiskDisplay(ClinicalRisk risk) => risk switch
    {
        ClinicalRisk.Low => "Low",
        ClinicalRisk.LowMedium => "Low-medium",
        ClinicalRisk.Medium => "Medium",
        _ => "High",
    };

    private static string Priority(int severity) => severity switch
    {
        <= 1 => "PL",
        2 => "PM",
        _ => "PH",
    };
}
