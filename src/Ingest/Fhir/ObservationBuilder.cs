using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using PatientStream.Ingest.Cleaning;
using PatientStream.Ingest.Summaries;

namespace PatientStream.Ingest.Fhir;

/// <summary>
/// Builds FHIR R4 Observations and their Provenance from clean samples: one Observation per scalar sample
/// (valueQuantity in UCUM), systolic and diastolic of one device at one instant as a blood-pressure panel (85354-9)
/// with components, and waveforms as SampledData. Ids are derived from patient, device, code and time, so
/// reprocessing a sample updates its Observation instead of adding one. Types summarised per period get no
/// Observation per sample: <see cref="Summaries"/> builds one per window instead.
/// </summary>
public static partial class ObservationBuilder
{
    public const string UcumSystem = "http://unitsofmeasure.org";
    public const string CategorySystem = "http://terminology.hl7.org/CodeSystem/observation-category";
    public const string QualitySystem = "urn:patientstream:sample-quality";
    private const string ProvenanceParticipantSystem = "http://terminology.hl7.org/CodeSystem/provenance-participant-type";

    /// <summary>
    /// Observations (each followed by its Provenance) for <paramref name="samples"/>, in sample order; samples of
    /// period-summarised types are left to <see cref="Summaries"/>.
    /// </summary>
    public static IReadOnlyList<JsonObject> Build(IReadOnlyList<CleanSample> samples)
    {
        ArgumentNullException.ThrowIfNull(samples);
        var resources = new List<JsonObject>(samples.Count * 2);
        var panels = samples
            .Where(s => s.Type.PanelCode is not null && !s.IsWaveform && s.Type.Period is null)
            .GroupBy(s => (s.PatientId, s.DeviceId, s.Time, s.Type.PanelCode))
            .ToList();
        foreach (var sample in samples)
        {
            if ((sample.Type.PanelCode is not null && !sample.IsWaveform) || sample.Type.Period is not null)
            {
                continue;
            }
            var observation = sample.IsWaveform ? Waveform(sample) : Scalar(sample);
            resources.Add(observation);
            resources.Add(Provenance(observation, sample.PatientId, sample.DeviceId, sample.Time));
        }
        foreach (var members in panels)
        {
            var observation = Panel([.. members], members.Key.PanelCode!);
            resources.Add(observation);
            resources.Add(Provenance(observation, members.First().PatientId, members.First().DeviceId, members.Key.Time));
        }
        return resources;
    }

    /// <summary>A transaction Bundle that PUTs each resource at its id.</summary>
    public static JsonObject Transaction(IEnumerable<JsonObject> resources)
    {
        ArgumentNullException.ThrowIfNull(resources);
        var entries = new JsonArray();
        foreach (var resource in resources)
        {
            var url = $"{resource["resourceType"]!.GetValue<string>()}/{resource["id"]!.GetValue<string>()}";
            entries.Add(new JsonObject
            {
                ["fullUrl"] = url,
                ["resource"] = resource,
                ["request"] = new JsonObject { ["method"] = "PUT", ["url"] = url },
            });
        }
        return new JsonObject { ["resourceType"] = "Bundle", ["type"] = "transaction", ["entry"] = entries };
    }

    /// <summary>A FHIR id (64 characters at most, [A-Za-z0-9-.]) determined by the parts.</summary>
    public static string DeterministicId(params string[] parts)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(string.Join('\u001f', parts)));
        return Convert.ToHexStringLower(hash.AsSpan(0, 20));
    }

    public static string PatientReference(string patientId) => patientId.Contains('/', StringComparison.Ordinal) ? patientId : $"Patient/{patientId}";

    public static string DeviceReference(string deviceId) => $"Device/{deviceId}";

    private static JsonObject Scalar(CleanSample sample)
    {
        var observation = Skeleton(sample, sample.Type);
        observation["effectiveDateTime"] = Instant(sample.Time);
        observation["valueQuantity"] = Quantity(sample.Value!.Value, sample.Unit);
        if (sample.Derivation is { } derivation)
        {
            observation["derivedFrom"] = new JsonArray([.. derivation.Inputs.Select(DerivedFromReference).Distinct()
                .Select(r => (JsonNode)new JsonObject { ["reference"] = r })]);
            observation["note"] = new JsonArray(new JsonObject
            {
                ["text"] = $"Calculated by the ingest stage: {derivation.Expression}",
            });
        }
        return observation;
    }

    /// <summary>The Observation an input of a calculation went to: its own, its panel's, or its window summary.</summary>
    private static string DerivedFromReference(CleanSample input)
    {
        if (input.Type.Period is { } period)
        {
            var window = WindowKey.Of(input, period);
            return $"Observation/{SummaryId(input.PatientId, input.Type, window.StartTicks)}";
        }
        var type = input.Type.PanelCode is { } panel ? new SampleType(panel, panel, panel, input.Unit, SampleKind.Scalar, 0, 0) : input.Type;
        return $"Observation/{ObservationId(input, type)}";
    }

    private static JsonObject Waveform(CleanSample sample)
    {
        var observation = Skeleton(sample, sample.Type);
        observation["effectivePeriod"] = new JsonObject { ["start"] = Instant(sample.Time), ["end"] = Instant(sample.EndTime) };
        var data = string.Join(' ', sample.Data!.Select(v => v.ToString("R", CultureInfo.InvariantCulture)));
        observation["valueSampledData"] = new JsonObject
        {
            ["origin"] = new JsonObject { ["value"] = 0, ["unit"] = sample.Unit, ["system"] = UcumSystem, ["code"] = sample.Unit },
            ["period"] = sample.PeriodMs!.Value,
            ["dimensions"] = 1,
            ["data"] = data,
        };
        return observation;
    }

    private static JsonObject Panel(IReadOnlyList<CleanSample> members, string panelCode)
    {
        var first = members[0];
        var display = panelCode == SampleTypes.BloodPressurePanel ? "Blood pressure panel with all children optional" : panelCode;
        var panel = new SampleType(panelCode, panelCode, display, first.Unit, SampleKind.Scalar, 0, 0) { Category = first.Type.Category };
        var observation = Skeleton(first with { Quality = members.Aggregate(SampleQuality.None, (q, s) => q | s.Quality), Conversion = null }, panel);
        observation["effectiveDateTime"] = Instant(first.Time);
        var components = new JsonArray();
        // A stable component order for any panel; for blood pressure it puts systolic (8480-6) before diastolic (8462-4).
        foreach (var sample in members.OrderByDescending(s => s.Type.Code, StringComparer.Ordinal))
        {
            components.Add(new JsonObject
            {
                ["code"] = Concept(sample.Type),
                ["valueQuantity"] = Quantity(sample.Value!.Value, sample.Unit),
            });
        }
        observation["component"] = components;
        return observation;
    }

    private static JsonObject Skeleton(CleanSample sample, SampleType type)
    {
        var observation = Base(ObservationId(sample, type), type, sample.PatientId, sample.DeviceId, sample.Quality);
        if (sample.Conversion is { } conversion)
        {
            observation["note"] = new JsonArray(new JsonObject
            {
                ["text"] = string.Create(CultureInfo.InvariantCulture, $"Device reported {conversion.FromValue:R} {conversion.FromUnit}; converted {conversion.Rule}"),
            });
        }
        return observation;
    }

    /// <summary>What every Observation of the stage has: id, status, category, code, subject, device and quality flags.</summary>
    private static JsonObject Base(string id, SampleType type, string patientId, string? deviceId, SampleQuality quality)
    {
        var observation = new JsonObject
        {
            ["resourceType"] = "Observation",
            ["id"] = id,
            ["status"] = "final",
            ["category"] = new JsonArray(new JsonObject
            {
                ["coding"] = new JsonArray(new JsonObject { ["system"] = CategorySystem, ["code"] = type.Category }),
            }),
            ["code"] = Concept(type),
            ["subject"] = new JsonObject { ["reference"] = PatientReference(patientId) },
        };
        if (deviceId is not null)
        {
            observation["device"] = new JsonObject { ["reference"] = DeviceReference(deviceId) };
        }
        if (quality != SampleQuality.None)
        {
            // Implausible or late values are kept and marked, so a clinician sees them and knows why they stand out.
            observation["interpretation"] = new JsonArray(new JsonObject
            {
                ["coding"] = new JsonArray(new JsonObject { ["system"] = QualitySystem, ["code"] = Influx.SamplePoints.Quality(quality) }),
            });
        }
        return observation;
    }

    private static string ObservationId(CleanSample sample, SampleType type) =>
        DeterministicId(sample.PatientId, sample.DeviceId, type.CodeSystem, type.Code, sample.Time.UtcTicks.ToString(CultureInfo.InvariantCulture));

    /// <param name="deviceId">The measuring device; null when several devices fed a summary (the patient is then the performer).</param>
    private static JsonObject Provenance(JsonObject observation, string patientId, string? deviceId, DateTimeOffset recorded)
    {
        var target = $"Observation/{observation["id"]!.GetValue<string>()}";
        var performer = new JsonObject
        {
            ["type"] = Participant("performer", "Performer"),
            ["who"] = new JsonObject { ["reference"] = deviceId is null ? PatientReference(patientId) : DeviceReference(deviceId) },
        };
        if (deviceId is not null)
        {
            performer["onBehalfOf"] = new JsonObject { ["reference"] = PatientReference(patientId) };
        }
        return new JsonObject
        {
            ["resourceType"] = "Provenance",
            ["id"] = DeterministicId("provenance", target),
            ["target"] = new JsonArray(new JsonObject { ["reference"] = target }),
            ["recorded"] = Instant(recorded),
            ["agent"] = new JsonArray(
                performer,
                new JsonObject
                {
                    ["type"] = Participant("assembler", "Assembler"),
                    ["who"] = new JsonObject { ["display"] = "PatientStream ingest" },
                }),
        };
    }

    private static JsonObject Participant(string code, string display) => new()
    {
        ["coding"] = new JsonArray(new JsonObject { ["system"] = ProvenanceParticipantSystem, ["code"] = code, ["display"] = display }),
    };

    private static JsonObject Concept(SampleType type) => new()
    {
        ["coding"] = new JsonArray(new JsonObject { ["system"] = type.CodeSystem, ["code"] = type.Code, ["display"] = type.Display }),
        ["text"] = type.Display,
    };

    private static JsonObject Quantity(double value, string unit) => new()
    {
        ["value"] = value, ["unit"] = unit, ["system"] = UcumSystem, ["code"] = unit,
    };

    private static string Instant(DateTimeOffset time) => time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture);
}
