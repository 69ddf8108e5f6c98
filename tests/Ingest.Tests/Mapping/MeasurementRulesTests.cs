using PatientStream.Ingest.Cleaning;
using PatientStream.Ingest.Mapping;
using static PatientStream.Ingest.Tests.Readings;

namespace PatientStream.Ingest.Tests.Mapping;

public sealed class MeasurementRulesTests
{
    private static readonly DateTimeOffset s_t0 = Received.AddMinutes(-5);

    private const string Header = """
        version: 1
        types:
          - name: weight
            code: { system: "http://loinc.org", code: "29463-7", display: "Body weight" }
            unit: "kg"
            plausible: { min: 1, max: 300 }
            units: [{ from: "kg" }]

        """;

    [Fact]
    public void The_default_mapping_calculates_mean_arterial_pressure_and_bmi_and_sums_steps_per_hour()
    {
        var catalogue = MappingLoader.Default();

        var map = Assert.Single(catalogue.Calculations, c => c.Type.Name == "mean-arterial-pressure");
        Assert.Equal("8478-0", map.Type.Code);
        Assert.Equal(["systolic", "diastolic"], map.InputTypes);
        Assert.Equal("(sys + 2 * dia) / 3", map.Expression.Text);
        var bmi = Assert.Single(catalogue.Calculations, c => c.Type.Name == "bmi");
        Assert.Equal(["body-weight", "body-height"], bmi.InputTypes);
        Assert.Equal(TimeSpan.FromHours(1), catalogue.Types["steps"].Period);
        Assert.Equal(SummaryStatistic.Sum, catalogue.Types["steps"].Summary);
        Assert.All(catalogue.Types.Values.Where(t => t.Name != "steps"), t => Assert.Null(t.Period));
    }

    [Fact]
    public void Calculated_measurements_come_from_inputs_of_the_same_instant_and_inherit_their_flags()
    {
        var catalogue = MappingLoader.Default();
        var cleaner = new SampleCleaner(new IngestOptions(), catalogue);
        var calculator = new MeasurementCalculator(catalogue.Calculations);
        var clean = cleaner.Clean(Reading(
            Scalar("systolic", 120, "mm[Hg]", s_t0), Scalar("diastolic", 81, "mmHg", s_t0),
            Scalar("systolic", 300, "mm[Hg]", s_t0.AddMinutes(1)), Scalar("diastolic", 90, "mm[Hg]", s_t0.AddMinutes(1)),
            Scalar("systolic", 130, "mm[Hg]", s_t0.AddMinutes(2)),
            Scalar("body-weight", 154, "[lb_av]", s_t0), Scalar("body-height", 70, "[in_i]", s_t0)));
        var samples = clean.Accepted.Select((s, i) => (Sample: s, Index: i)).ToList();

        Assert.Equal(3, calculator.AppendCalculated(samples));

        var calculated = samples.Skip(clean.Accepted.Count).ToList();
        var maps = calculated.Where(c => c.Sample.Type.Name == "mean-arterial-pressure").ToList();
        Assert.Equal([94.0, 160.0], maps.Select(m => m.Sample.Value!.Value));
        Assert.Equal([0, 2], maps.Select(m => m.Index));
        Assert.Equal(SampleQuality.None, maps[0].Sample.Quality);
        Assert.Equal(SampleQuality.Implausible, maps[1].Sample.Quality);
        Assert.Equal("mm[Hg]", maps[0].Sample.Unit);
        Assert.Equal(["systolic", "diastolic"], maps[0].Sample.Derivation!.Inputs.Select(i => i.Type.Name));
        var bmi = Assert.Single(calculated, c => c.Sample.Type.Name == "bmi").Sample;
        Assert.Equal(22.1, bmi.Value);
        Assert.Equal("kg/m2", bmi.Unit);
    }

    [Fact]
    public void A_calculation_that_divides_by_zero_is_skipped_and_its_inputs_kept()
    {
        var catalogue = MappingLoader.Default();
        var cleaner = new SampleCleaner(new IngestOptions(), catalogue);
        var samples = cleaner.Clean(Reading(Scalar("body-weight", 70, "kg", s_t0), Scalar("body-height", 0, "cm", s_t0))).Accepted
            .Select((s, i) => (s, i)).ToList();

        Assert.Equal(0, new MeasurementCalculator(catalogue.Calculations).AppendCalculated(samples));
        Assert.Equal(2, samples.Count);
    }

    [Fact]
    public void A_payload_field_becomes_its_measurement_through_its_expression_with_the_rule_recorded()
    {
        var catalogue = MappingLoader.Default();
        var cleaner = new SampleCleaner(new IngestOptions(), catalogue);

        var result = cleaner.Clean(Reading(
            Scalar("temperature-centi", 3712, "cCel", s_t0), Scalar("temperature-centi", 3712, "Cel", s_t0.AddSeconds(1)),
            Scalar("temperature-centi", null, "cCel", s_t0.AddSeconds(2))));

        var sample = Assert.Single(result.Accepted);
        Assert.Equal("body-temperature", sample.Type.Name);
        Assert.Equal(37.12, sample.Value!.Value, 9);
        Assert.Equal("Cel", sample.Unit);
        Assert.Equal(new UnitConversion("cCel", 3712, "Cel", "temperature-centi->body-temperature: v / 100"), sample.Conversion);
        Assert.Equal([RejectCodes.UnknownUnit, RejectCodes.MissingValue], result.Rejected.Select(r => r.Code));
    }

    public static TheoryData<string, string, int, int> BrokenRules => new()
    {
        {
            "  - name: doubled\n    code: { system: s, code: c, display: d }\n    unit: kg\n    plausible: { min: 0, max: 1 }\n" +
            "    calculated: { inputs: { w: weight }, expression: \"2 * w +\" }",
            "expression ends", 12, 62
        },
        {
            "  - name: doubled\n    code: { system: s, code: c, display: d }\n    unit: kg\n    plausible: { min: 0, max: 1 }\n" +
            "    calculated:\n      inputs: { w: weight }\n      expression: 'w * height'",
            "unknown name 'height'", 14, 24
        },
        {
            "  - name: doubled\n    code: { system: s, code: c, display: d }\n    unit: kg\n    plausible: { min: 0, max: 1 }\n" +
            "    calculated: { inputs: { w: pulse }, expression: \"w\" }",
            "not a declared sample type", 12, 0
        },
        {
            "  - name: doubled\n    code: { system: s, code: c, display: d }\n    unit: kg\n    plausible: { min: 0, max: 1 }\n" +
            "    calculated: { inputs: { 2w: weight }, expression: \"w\" }",
            "input name '2w'", 12, 0
        },
        { "fields:\n  - { field: grams, measurement: weight, expression: \"v /\" }", "expression ends", 9, 58 },
        { "fields:\n  - { field: grams, measurement: height, expression: \"v\" }", "not a declared scalar sample type", 9, 0 },
        { "    fhir: { period: 2h }", "'period' must be one of none, 1m, 5m, 1h, 1d", 8, 0 },
        { "    fhir: { period: 1h, summary: median }", "'summary' must be one of mean, sum", 8, 0 },
    };

    [Theory]
    [MemberData(nameof(BrokenRules))]
    public void Broken_expressions_and_rules_are_rejected_at_load_with_line_and_column(string tail, string problem, int line, int column)
    {
        var error = Assert.Throws<MappingException>(() => MappingLoader.Parse(Header + tail, "rules.yaml"));

        Assert.Contains(problem, error.Problem, StringComparison.Ordinal);
        Assert.Equal(line, error.Line);
        Assert.Equal(column, error.Column);
        Assert.StartsWith(column > 0 ? $"rules.yaml:{line}:{column}: " : $"rules.yaml:{line}: ", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_period_on_a_waveform_or_panel_type_is_rejected()
    {
        var panel = Header.Replace("units: [{ from: \"kg\" }]", "units: [{ from: \"kg\" }]\n    fhir: { panel: \"85354-9\", period: 5m }", StringComparison.Ordinal);

        var error = Assert.Throws<MappingException>(() => MappingLoader.Parse(panel, "rules.yaml"));

        Assert.Contains("cannot be summarised per period", error.Problem, StringComparison.Ordinal);
    }
}
