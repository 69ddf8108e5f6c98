using PatientStream.Analytics.News2;

namespace PatientStream.Analytics.Tests.News2;

public sealed class News2ScorerTests
{
    private static readonly DateTimeOffset s_now = new(2026, 11, 21, 10, 0, 0, TimeSpan.Zero);
    private readonly News2Scorer _scorer = new(new News2Options());

    private static News2Reading[] Set(double rr, double spo2, bool oxygen, double sbp, double pulse, Consciousness acvpu, double temp) =>
    [
        new(News2Parameter.RespirationRate, rr, s_now, "Observation/rr"),
        new(News2Parameter.OxygenSaturation, spo2, s_now, "Observation/spo2"),
        new(News2Parameter.SupplementalOxygen, oxygen ? 1 : 0, s_now, "Observation/o2"),
        new(News2Parameter.SystolicBloodPressure, sbp, s_now, "Observation/sbp"),
        new(News2Parameter.Pulse, pulse, s_now, "Observation/pulse"),
        new(News2Parameter.Consciousness, (int)acvpu, s_now, "Observation/acvpu"),
        new(News2Parameter.Temperature, temp, s_now, "Observation/temp"),
    ];

    // Worked examples computed by hand from RCP chart 1 and chart 2.
    public static TheoryData<string, SpO2Scale, int, ClinicalRisk> WorkedExamples => new()
    {
        // 18/min 0, 97% 0, air 0, 125 0, 78 0, alert 0, 37.0 0.
        { "well", SpO2Scale.Scale1, 0, ClinicalRisk.Low },
        // 24/min 2, 93% 2, oxygen 2, 100 mmHg 2, 115/min 2, alert 0, 38.5 1 = 11.
        { "septic", SpO2Scale.Scale1, 11, ClinicalRisk.High },
        // All normal except new confusion 3: aggregate 3 but a red score.
        { "confused", SpO2Scale.Scale1, 3, ClinicalRisk.LowMedium },
        // COPD on air: 22/min 2, 90% 0 on scale 2, air 0, 130 0, 95/min 1, alert 0, 37.2 0 = 3.
        { "copd-air", SpO2Scale.Scale2, 3, ClinicalRisk.Low },
        // The same patient wrongly scored on scale 1: 90% scores 3, aggregate 6.
        { "copd-air", SpO2Scale.Scale1, 6, ClinicalRisk.Medium },
        // COPD over-oxygenated: 18/min 0, 97% on oxygen 3, oxygen 2, others 0 = 5.
        { "copd-oxygen", SpO2Scale.Scale2, 5, ClinicalRisk.Medium },
        // 8/min 3, 91% 3, oxygen 2, 90 mmHg 3, 40/min 3, unresponsive 3, 35.0 3 = 20, the maximum.
        { "peri-arrest", SpO2Scale.Scale1, 20, ClinicalRisk.High },
    };

    private static News2Reading[] Example(string name) => name switch
    {
        "well" => Set(18, 97, false, 125, 78, Consciousness.Alert, 37.0),
        "septic" => Set(24, 93, true, 100, 115, Consciousness.Alert, 38.5),
        "confused" => Set(18, 97, false, 125, 78, Consciousness.NewConfusion, 37.0),
        "copd-air" => Set(22, 90, false, 130, 95, Consciousness.Alert, 37.2),
        "copd-oxygen" => Set(18, 97, true, 120, 80, Consciousness.Alert, 37.0),
        "peri-arrest" => Set(8, 91, true, 90, 40, Consciousness.Unresponsive, 35.0),
        _ => throw new ArgumentOutOfRangeException(nameof(name)),
    };

    [Theory]
    [MemberData(nameof(WorkedExamples))]
    public void Worked_examples_score_and_band(string example, SpO2Scale scale, int aggregate, ClinicalRisk risk)
    {
        var result = _scorer.Score(Example(example), scale, s_now);

        Assert.Equal(aggregate, result.AggregateScore);
        Assert.Equal(risk, result.Risk);
        Assert.True(result.IsComplete);
        Assert.Equal(7, result.Scores.Count);
        Assert.Equal(aggregate, result.Scores.Sum(s => s.Score));
    }

    [Fact]
    public void Red_score_is_reported_even_when_the_band_is_higher()
    {
        var result = _scorer.Score(Example("septic").Append(new(News2Parameter.Pulse, 140, s_now)), SpO2Scale.Scale1, s_now);

        Assert.True(result.HasSingleParameterScoreOf3);
        Assert.Equal(ClinicalRisk.High, result.Risk);
    }

    [Fact]
    public void Latest_reading_of_each_parameter_is_used()
    {
        News2Reading[] readings =
        [
            new(News2Parameter.Pulse, 135, s_now.AddMinutes(-30), "Observation/old"),
            new(News2Parameter.Pulse, 80, s_now.AddMinutes(-5), "Observation/new"),
            new(News2Parameter.Pulse, 120, s_now.AddMinutes(-20), "Observation/middle"),
        ];

        var result = _scorer.Score(readings, SpO2Scale.Scale1, s_now);

        var pulse = Assert.Single(result.Scores);
        Assert.Equal("Observation/new", pulse.Reading.ObservationReference);
        Assert.Equal(0, pulse.Score);
    }

    [Fact]
    public void Readings_outside_their_validity_window_count_as_missing()
    {
        var options = new News2Options();
        News2Reading[] readings =
        [
            new(News2Parameter.Pulse, 135, s_now - options.VitalSignWindow - TimeSpan.FromSeconds(1)),
            new(News2Parameter.RespirationRate, 30, s_now - options.VitalSignWindow),
            new(News2Parameter.Temperature, 39.5, s_now - options.SpotCheckWindow + TimeSpan.FromMinutes(1)),
            new(News2Parameter.SystolicBloodPressure, 80, s_now + options.ClockSkew + TimeSpan.FromSeconds(1)),
        ];

        var result = _scorer.Score(readings, SpO2Scale.Scale1, s_now);

        Assert.Equal([News2Parameter.RespirationRate, News2Parameter.Temperature], result.Scores.Select(s => s.Parameter));
        Assert.Equal(5, result.AggregateScore);
        Assert.False(result.IsComplete);
        Assert.Equal(
            [News2Parameter.OxygenSaturation, News2Parameter.SupplementalOxygen, News2Parameter.SystolicBloodPressure,
             News2Parameter.Pulse, News2Parameter.Consciousness],
            result.Missing);
    }

    [Fact]
    public void Missing_oxygen_is_named_and_air_assumed_for_scale_2()
    {
        News2Reading[] readings = [new(News2Parameter.OxygenSaturation, 97, s_now)];

        var result = _scorer.Score(readings, SpO2Scale.Scale2, s_now);

        Assert.True(result.AssumedAir);
        Assert.Contains(News2Parameter.SupplementalOxygen, result.Missing);
        Assert.Equal(0, result.AggregateScore);
    }

    [Fact]
    public void Non_finite_values_are_ignored()
    {
        News2Reading[] readings = [new(News2Parameter.Pulse, double.NaN, s_now), new(News2Parameter.Temperature, double.PositiveInfinity, s_now)];

        var result = _scorer.Score(readings, SpO2Scale.Scale1, s_now);

        Assert.Empty(result.Scores);
        Assert.Equal(7, result.Missing.Count);
        Assert.Equal(ClinicalRisk.Low, result.Risk);
    }

    [Fact]
    public void Options_validator_rejects_empty_windows()
    {
        var result = new News2OptionsValidator().Validate(null, new News2Options { VitalSignWindow = TimeSpan.Zero, ClockSkew = TimeSpan.FromHours(2) });

        Assert.True(result.Failed);
        Assert.Equal(2, result.Failures!.Count());
    }
}
