using PatientStream.Ingest.Cleaning;
using PatientStream.Ingest.Influx;
using PatientStream.Ingest.Mapping;
using PatientStream.Testing;

namespace PatientStream.Ingest.Tests.Mapping;

public sealed class MappingLoaderTests
{
    private const string Valid = """
        version: 1
        types:
          - name: heart-rate
            code: { system: "http://loinc.org", code: "8867-4", display: "Heart rate" }
            unit: "/min"
            plausible: { min: 20, max: 250 }
            units:
              - { from: "/min" }
              - { from: "Hz", scale: 60 }
        """;

    [Theory]
    [InlineData("heart-rate", "8867-4", "/min", "vital-signs")]
    [InlineData("spo2", "59408-5", "%", "vital-signs")]
    [InlineData("respiratory-rate", "9279-1", "/min", "vital-signs")]
    [InlineData("body-temperature", "8310-5", "Cel", "vital-signs")]
    [InlineData("systolic", "8480-6", "mm[Hg]", "vital-signs")]
    [InlineData("diastolic", "8462-4", "mm[Hg]", "vital-signs")]
    [InlineData("body-weight", "29463-7", "kg", "vital-signs")]
    [InlineData("steps", "55423-8", "{steps}", "activity")]
    [InlineData("glucose", "2339-0", "mg/dL", "laboratory")]
    public void The_shipped_default_mapping_declares_the_design_codes_and_units(string name, string loinc, string unit, string category)
    {
        var type = MappingLoader.Default().Types[name];

        Assert.Equal(SampleType.Loinc, type.CodeSystem);
        Assert.Equal(loinc, type.Code);
        Assert.Equal(unit, type.CanonicalUnit);
        Assert.Equal(category, type.Category);
        Assert.Equal(SampleKind.Scalar, type.Kind);
        Assert.Equal(name is "systolic" or "diastolic" ? SampleTypes.BloodPressurePanel : null, type.PanelCode);
    }

    [Fact]
    public void The_shipped_default_mapping_declares_ecg_as_a_waveform_and_nothing_else()
    {
        var catalogue = MappingLoader.Default();

        Assert.Equal(SampleKind.Waveform, catalogue.Types["ecg"].Kind);
        Assert.Equal("mV", catalogue.Types["ecg"].CanonicalUnit);
        Assert.Equal(13, catalogue.Types.Count);
    }

    [Fact]
    public void A_valid_mapping_drives_cleaning()
    {
        var catalogue = MappingLoader.Parse(Valid, "test.yaml");
        var cleaner = new SampleCleaner(new IngestOptions(), catalogue.Types, catalogue.Units);

        var result = cleaner.Clean(Readings.Reading(Readings.Scalar("heart-rate", 1.5, "Hz"), Readings.Scalar("spo2", 97, "%")));

        Assert.Equal(90, Assert.Single(result.Accepted).Value);
        Assert.Equal(RejectCodes.UnknownType, Assert.Single(result.Rejected).Code);
    }

    [Fact]
    public void A_json_mapping_is_read_like_yaml()
    {
        const string json = """
            {"version": 1, "types": [{"name": "glucose", "category": "laboratory",
              "code": {"system": "http://loinc.org", "code": "2339-0", "display": "Glucose"},
              "unit": "mg/dL", "plausible": {"min": 20, "max": 600},
              "units": [{"from": "mg/dL"}, {"from": "mmol/L", "scale": 18.0156}]}]}
            """;

        var catalogue = MappingLoader.Parse(json, "mapping.json");

        Assert.Equal("laboratory", catalogue.Types["glucose"].Category);
        Assert.True(catalogue.Units.TryGet("glucose", "mmol/L", out var rule));
        Assert.Equal(99.0858, rule.Apply(5.5), 4);
    }

    public static TheoryData<string, string, string, int> Broken => new()
    {
        { "yaml syntax", Valid.Replace("unit: \"/min\"", "unit: \"/min", StringComparison.Ordinal), "", 0 },
        { "yaml flow", Valid.Replace("{ min: 20, max: 250 }", "{ min: 20, max: 250", StringComparison.Ordinal), "malformed YAML", -1 },
        { "version", Valid.Replace("version: 1", "version: 2", StringComparison.Ordinal), "version '2' is not supported", 1 },
        { "range", Valid.Replace("min: 20", "min: 300", StringComparison.Ordinal), "plausible min 300 is above max 250", 6 },
        { "number", Valid.Replace("scale: 60", "scale: sixty", StringComparison.Ordinal), "'scale' must be a finite number", 9 },
        { "kind", Valid.Replace("    unit: \"/min\"", "    kind: continuous\n    unit: \"/min\"", StringComparison.Ordinal), "'kind' must be one of", 5 },
        { "canonical", Valid.Replace("      - { from: \"/min\" }\n", "", StringComparison.Ordinal), "must accept its canonical unit", 8 },
        { "missing", Valid.Replace("    unit: \"/min\"\n", "", StringComparison.Ordinal), "'unit' is missing", 3 },
        { "period", Valid + "\n    fhir: { period: 90s }", "'period' must be one of none", 10 },
        { "value", Valid + "\n    fhir: { value: sampled-data }", "does not fit a scalar type", 10 },
        { "duplicate", Valid + "\n" + Valid[Valid.IndexOf("  - name", StringComparison.Ordinal)..], "declared twice", 10 },
    };

    [Theory]
    [MemberData(nameof(Broken))]
    public void A_broken_mapping_is_rejected_with_the_failing_line(string name, string text, string problem, int line)
    {
        var error = Assert.Throws<MappingException>(() => MappingLoader.Parse(text, "broken.yaml"));

        Assert.Contains(problem, error.Problem, StringComparison.Ordinal);
        Assert.StartsWith("broken.yaml:", error.Message, StringComparison.Ordinal);
        if (line > 0)
        {
            Assert.True(line == error.Line, $"{name}: expected line {line}, got {error.Line}: {error.Message}");
        }
        else if (line == 0)
        {
            Assert.True(error.Line > 0, name);
        }
    }

    [Fact]
    public void The_service_refuses_to_start_with_a_broken_mapping_file()
    {
        using var folder = new TempFolder("mapping");
        var path = folder.Combine("mapping.yaml");
        File.WriteAllText(path, Valid.Replace("min: 20", "min: 300", StringComparison.Ordinal));

        var error = Assert.Throws<MappingException>(() => new IngestService(
            new Kafka.KafkaOptions { BootstrapServers = "127.0.0.1:9" },
            new IngestOptions { MappingPath = path },
            new InfluxOptions { Url = new Uri("http://127.0.0.1:9/") }));

        Assert.Equal(6, error.Line);
        Assert.Equal(path, error.File);
    }
}
