using PatientStream.Analytics.News2;

namespace PatientStream.Analytics.Tests.News2;

/// <summary>Chart 1 of RCP NEWS2 (2017), both sides of every band boundary of every parameter.</summary>
public sealed class News2ChartTests
{
    public static TheoryData<double, int> RespirationRate => new()
    {
        { 0, 3 }, { 8, 3 }, { 9, 1 }, { 11, 1 }, { 12, 0 }, { 20, 0 }, { 21, 2 }, { 24, 2 }, { 25, 3 }, { 60, 3 },
        // Values between rows are charted to the nearest whole breath.
        { 8.4, 3 }, { 8.5, 1 }, { 20.49, 0 }, { 20.5, 2 },
    };

    public static TheoryData<double, int> SpO2Scale1 => new()
    {
        { 50, 3 }, { 91, 3 }, { 92, 2 }, { 93, 2 }, { 94, 1 }, { 95, 1 }, { 96, 0 }, { 100, 0 }, { 91.5, 2 }, { 91.49, 3 },
    };

    public static TheoryData<double, bool, int> SpO2Scale2 => new()
    {
        // Below 88% oxygen therapy makes no difference to the SpO2 row.
        { 83, false, 3 }, { 83, true, 3 }, { 84, false, 2 }, { 85, true, 2 }, { 86, false, 1 }, { 87, true, 1 },
        { 88, false, 0 }, { 88, true, 0 }, { 92, false, 0 }, { 92, true, 0 },
        // At 93% and above: 0 on air, rising on oxygen.
        { 93, false, 0 }, { 100, false, 0 }, { 93, true, 1 }, { 94, true, 1 }, { 95, true, 2 }, { 96, true, 2 },
        { 97, true, 3 }, { 100, true, 3 },
    };

    public static TheoryData<double, int> SystolicBloodPressure => new()
    {
        { 60, 3 }, { 90, 3 }, { 91, 2 }, { 100, 2 }, { 101, 1 }, { 110, 1 }, { 111, 0 }, { 219, 0 }, { 220, 3 }, { 260, 3 },
    };

    public static TheoryData<double, int> Pulse => new()
    {
        { 20, 3 }, { 40, 3 }, { 41, 1 }, { 50, 1 }, { 51, 0 }, { 90, 0 }, { 91, 1 }, { 110, 1 }, { 111, 2 }, { 130, 2 },
        { 131, 3 }, { 200, 3 }, { 90.6, 1 }, { 90.4, 0 },
    };

    public static TheoryData<double, int> Temperature => new()
    {
        { 33.0, 3 }, { 35.0, 3 }, { 35.1, 1 }, { 36.0, 1 }, { 36.1, 0 }, { 38.0, 0 }, { 38.1, 1 }, { 39.0, 1 },
        { 39.1, 2 }, { 41.0, 2 },
        // Charted to 0.1 °C: 35.05 is written 35.1, 38.04 is written 38.0.
        { 35.04, 3 }, { 35.05, 1 }, { 38.04, 0 }, { 38.05, 1 }, { 39.05, 2 },
    };

    [Theory]
    [MemberData(nameof(RespirationRate))]
    public void Respiration_rate_scores_per_chart(double value, int expected) =>
        Assert.Equal(expected, News2Scorer.ScoreParameter(News2Parameter.RespirationRate, value, SpO2Scale.Scale1, onOxygen: false));

    [Theory]
    [MemberData(nameof(SpO2Scale1))]
    public void SpO2_scale_1_scores_per_chart_on_air_and_oxygen(double value, int expected)
    {
        Assert.Equal(expected, News2Scorer.ScoreParameter(News2Parameter.OxygenSaturation, value, SpO2Scale.Scale1, onOxygen: false));
        Assert.Equal(expected, News2Scorer.ScoreParameter(News2Parameter.OxygenSaturation, value, SpO2Scale.Scale1, onOxygen: true));
    }

    [Theory]
    [MemberData(nameof(SpO2Scale2))]
    public void SpO2_scale_2_scores_per_chart(double value, bool onOxygen, int expected) =>
        Assert.Equal(expected, News2Scorer.ScoreParameter(News2Parameter.OxygenSaturation, value, SpO2Scale.Scale2, onOxygen));

    [Theory]
    [InlineData(0, 0)]
    [InlineData(1, 2)]
    public void Supplemental_oxygen_scores_2(double value, int expected) =>
        Assert.Equal(expected, News2Scorer.ScoreParameter(News2Parameter.SupplementalOxygen, value, SpO2Scale.Scale1, onOxygen: value > 0));

    [Theory]
    [MemberData(nameof(SystolicBloodPressure))]
    public void Systolic_blood_pressure_scores_per_chart(double value, int expected) =>
        Assert.Equal(expected, News2Scorer.ScoreParameter(News2Parameter.SystolicBloodPressure, value, SpO2Scale.Scale1, onOxygen: false));

    [Theory]
    [MemberData(nameof(Pulse))]
    public void Pulse_scores_per_chart(double value, int expected) =>
        Assert.Equal(expected, News2Scorer.ScoreParameter(News2Parameter.Pulse, value, SpO2Scale.Scale1, onOxygen: false));

    [Theory]
    [InlineData(Consciousness.Alert, 0)]
    [InlineData(Consciousness.NewConfusion, 3)]
    [InlineData(Consciousness.Voice, 3)]
    [InlineData(Consciousness.Pain, 3)]
    [InlineData(Consciousness.Unresponsive, 3)]
    public void Consciousness_other_than_alert_scores_3(Consciousness level, int expected) =>
        Assert.Equal(expected, News2Scorer.ScoreParameter(News2Parameter.Consciousness, (int)level, SpO2Scale.Scale1, onOxygen: false));

    [Theory]
    [MemberData(nameof(Temperature))]
    public void Temperature_scores_per_chart(double value, int expected) =>
        Assert.Equal(expected, News2Scorer.ScoreParameter(News2Parameter.Temperature, value, SpO2Scale.Scale1, onOxygen: false));

    [Theory]
    [InlineData(0, false, ClinicalRisk.Low)]
    [InlineData(4, false, ClinicalRisk.Low)]
    [InlineData(3, true, ClinicalRisk.LowMedium)]
    [InlineData(4, true, ClinicalRisk.LowMedium)]
    [InlineData(5, false, ClinicalRisk.Medium)]
    [InlineData(5, true, ClinicalRisk.Medium)]
    [InlineData(6, true, ClinicalRisk.Medium)]
    [InlineData(7, false, ClinicalRisk.High)]
    [InlineData(7, true, ClinicalRisk.High)]
    [InlineData(20, true, ClinicalRisk.High)]
    public void Clinical_risk_follows_chart_2(int aggregate, bool red, ClinicalRisk expected) =>
        Assert.Equal(expected, News2Scorer.RiskOf(aggregate, red));
}
