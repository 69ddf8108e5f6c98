using PatientStream.Ingest.Cleaning;
using static PatientStream.Ingest.Tests.Readings;

namespace PatientStream.Ingest.Tests.Cleaning;

public sealed class SampleCleanerTests
{
    private readonly SampleCleaner _cleaner = new(new IngestOptions());

    public static TheoryData<string, double, string, double, string> Conversions => new()
    {
        { "body-temperature", 98.6, "[degF]", 37.0, "Cel" },
        { "body-temperature", 212, "°F", 100.0, "Cel" },
        { "body-temperature", 310.15, "K", 37.0, "Cel" },
        { "body-weight", 154.32358, "[lb_av]", 70.0, "kg" },
        { "body-weight", 100, "lb", 45.359237, "kg" },
        { "body-weight", 70_500, "g", 70.5, "kg" },
        { "body-weight", 16, "[oz_av]", 0.45359237, "kg" },
        { "systolic", 16, "kPa", 120.0098521, "mm[Hg]" },
        { "diastolic", 10.66579, "kPa", 80.0, "mm[Hg]" },
        { "glucose", 5.5, "mmol/L", 99.0858, "mg/dL" },
        { "glucose", 1.0, "g/L", 100.0, "mg/dL" },
        { "spo2", 0.97, "1", 97.0, "%" },
        { "heart-rate", 1.2, "Hz", 72.0, "/min" },
        { "respiratory-rate", 0.25, "/s", 15.0, "/min" },
    };

    [Theory]
    [MemberData(nameof(Conversions))]
    public void Units_are_converted_to_ucum_and_the_conversion_is_recorded(string type, double value, string unit, double expected, string canonical)
    {
        var result = _cleaner.Clean(Reading(Scalar(type, value, unit)));

        var sample = Assert.Single(result.Accepted);
        Assert.Empty(result.Rejected);
        Assert.Equal(expected, sample.Value!.Value, 3);
        Assert.Equal(canonical, sample.Unit);
        Assert.NotNull(sample.Conversion);
        Assert.Equal(unit, sample.Conversion.FromUnit);
        Assert.Equal(value, sample.Conversion.FromValue);
        Assert.Equal(canonical, sample.Conversion.ToUnit);
        Assert.StartsWith($"{unit}->{canonical}", sample.Conversion.Rule, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("heart-rate", "bpm", "/min")]
    [InlineData("respiratory-rate", "breaths/min", "/min")]
    [InlineData("body-temperature", "°C", "Cel")]
    [InlineData("systolic", "mmHg", "mm[Hg]")]
    [InlineData("steps", "steps", "{steps}")]
    [InlineData("spo2", "%", "%")]
    public void Spellings_of_the_canonical_unit_are_normalised_without_a_conversion_record(string type, string unit, string canonical)
    {
        var sample = Assert.Single(_cleaner.Clean(Reading(Scalar(type, 60, unit))).Accepted);

        Assert.Equal(canonical, sample.Unit);
        Assert.Equal(60, sample.Value);
        Assert.Null(sample.Conversion);
    }

    [Fact]
    public void Every_default_type_has_its_canonical_unit_in_the_unit_table()
    {
        foreach (var type in SampleTypes.Defaults.Values)
        {
            Assert.True(UnitTable.Default.TryGet(type.Name, type.CanonicalUnit, out var rule), type.Name);
            Assert.True(rule.IsIdentity, type.Name);
        }
    }

    [Theory]
    [InlineData("heart-rate", 19, true)]
    [InlineData("heart-rate", 20, false)]
    [InlineData("heart-rate", 250, false)]
    [InlineData("heart-rate", 251, true)]
    [InlineData("spo2", 49, true)]
    [InlineData("spo2", 101, true)]
    [InlineData("respiratory-rate", 2, true)]
    [InlineData("body-temperature", 29.9, true)]
    [InlineData("body-temperature", 43.1, true)]
    [InlineData("body-temperature", 37, false)]
    [InlineData("systolic", 300, true)]
    [InlineData("diastolic", 10, true)]
    [InlineData("body-weight", 0.1, true)]
    [InlineData("steps", -1, true)]
    [InlineData("glucose", 700, true)]
    [InlineData("glucose", 90, false)]
    public void Implausible_values_are_flagged_not_dropped(string type, double value, bool implausible)
    {
        var unit = SampleTypes.Defaults[type].CanonicalUnit;

        var sample = Assert.Single(_cleaner.Clean(Reading(Scalar(type, value, unit))).Accepted);

        Assert.Equal(value, sample.Value);
        Assert.Equal(implausible, sample.Quality.HasFlag(SampleQuality.Implausible));
    }

    [Fact]
    public void Plausibility_is_judged_after_conversion()
    {
        // 104 °F is 40 °C: plausible, although 104 would be implausible read as Celsius.
        var sample = Assert.Single(_cleaner.Clean(Reading(Scalar("body-temperature", 104, "[degF]"))).Accepted);

        Assert.Equal(SampleQuality.None, sample.Quality);
    }

    public static TheoryData<string, Kafka.Contracts.Sample> Rejections => new()
    {
        { RejectCodes.UnknownType, Scalar("blood-alcohol", 0.1, "%") },
        { RejectCodes.UnknownType, Scalar("", 1, "%") },
        { RejectCodes.MissingValue, Scalar("heart-rate", null, "/min") },
        { RejectCodes.NotFinite, Scalar("heart-rate", double.NaN, "/min") },
        { RejectCodes.NotFinite, Scalar("heart-rate", double.PositiveInfinity, "/min") },
        { RejectCodes.NotFinite, Scalar("body-weight", double.MaxValue, "g") with { Value = double.NegativeInfinity } },
        { RejectCodes.MissingUnit, Scalar("heart-rate", 60, null) },
        { RejectCodes.UnknownUnit, Scalar("heart-rate", 60, "furlongs") },
        { RejectCodes.UnknownUnit, Scalar("glucose", 5.5, "mmol/l") },
        { RejectCodes.MissingTime, Scalar("heart-rate", 60, "/min") with { Time = default } },
        { RejectCodes.TimeInFuture, Scalar("heart-rate", 60, "/min", Received.AddMinutes(6)) },
        { RejectCodes.TimeTooOld, Scalar("heart-rate", 60, "/min", Received.AddDays(-31)) },
        { RejectCodes.TimeTooOld, Scalar("heart-rate", 60, "/min", new DateTimeOffset(1999, 12, 31, 0, 0, 0, TimeSpan.Zero)) },
        { RejectCodes.MissingValue, Wave(null) },
        { RejectCodes.MissingValue, Wave([]) },
        { RejectCodes.BadWaveform, Wave([0.1, 0.2], periodMs: null) },
        { RejectCodes.BadWaveform, Wave([0.1, 0.2], periodMs: 0) },
        { RejectCodes.BadWaveform, Wave([0.1, 0.2], periodMs: double.NaN) },
        { RejectCodes.NotFinite, Wave([0.1, double.NaN]) },
        { RejectCodes.UnknownUnit, Wave([0.1], unit: "mmHg") },
    };

    [Theory]
    [MemberData(nameof(Rejections))]
    public void Invalid_samples_are_rejected_with_a_stable_code(string code, Kafka.Contracts.Sample sample)
    {
        var good = Scalar("heart-rate", 61, "/min");

        var result = _cleaner.Clean(Reading(good, sample));

        Assert.Equal(61, Assert.Single(result.Accepted).Value);
        var rejection = Assert.Single(result.Rejected);
        Assert.Equal(1, rejection.Index);
        Assert.Equal(code, rejection.Code);
        Assert.StartsWith(code + ": ", rejection.Reason, StringComparison.Ordinal);
        Assert.Contains(code, RejectCodes.All);
    }

    [Fact]
    public void A_sample_slightly_ahead_of_receipt_is_accepted_within_the_clock_tolerance()
    {
        var sample = Assert.Single(_cleaner.Clean(Reading(Scalar("heart-rate", 60, "/min", Received.AddMinutes(4)))).Accepted);

        Assert.Equal(Received.AddMinutes(4), sample.Time);
    }

    [Fact]
    public void Waveforms_are_converted_point_by_point_and_keep_their_period()
    {
        var sample = Assert.Single(_cleaner.Clean(Reading(Wave([100, -250, 12_000], unit: "uV"))).Accepted);

        Assert.True(sample.IsWaveform);
        Assert.Equal([0.1, -0.25, 12.0], sample.Data!.Select(v => Math.Round(v, 6)));
        Assert.Equal(4, sample.PeriodMs);
        Assert.Equal("mV", sample.Unit);
        Assert.Equal(100, sample.Conversion!.FromValue);
        Assert.True(sample.Quality.HasFlag(SampleQuality.Implausible));
        Assert.Equal(sample.Time.AddMilliseconds(8), sample.EndTime);
    }

    [Fact]
    public void Too_long_waveforms_are_rejected()
    {
        var cleaner = new SampleCleaner(new IngestOptions { MaxWaveformPoints = 3 });

        var result = cleaner.Clean(Reading(Wave([1, 2, 3, 4])));

        Assert.Equal(RejectCodes.BadWaveform, Assert.Single(result.Rejected).Code);
    }

    [Fact]
    public void Clean_samples_carry_patient_device_code_and_utc_time()
    {
        var local = new DateTimeOffset(2026, 11, 21, 11, 0, 4, TimeSpan.FromHours(1));

        var sample = Assert.Single(_cleaner.Clean(Reading(Scalar("heart-rate", 72, "/min", local))).Accepted);

        Assert.Equal("Patient/p1", sample.PatientId);
        Assert.Equal("dev-1", sample.DeviceId);
        Assert.Equal("8867-4", sample.Code);
        Assert.Equal(TimeSpan.Zero, sample.Time.Offset);
        Assert.Equal(local, sample.Time);
    }

    [Fact]
    public void Invalid_settings_fail_with_every_problem_listed()
    {
        var error = Assert.Throws<Microsoft.Extensions.Options.OptionsValidationException>(() => new SampleCleaner(new IngestOptions
        {
            AllowedLateness = TimeSpan.FromHours(2),
            DedupeRetention = TimeSpan.FromHours(1),
            MaxWaveformPoints = 0,
        }));

        Assert.Equal(2, error.Failures.Count());
    }
}
