namespace PatientStream.Analytics.News2;

/// <summary>
/// NEWS2 as published by the Royal College of Physicians (2017), chart 1 (scoring) and chart 2 (clinical risk).
/// Pure and thread-safe.
/// </summary>
/// <remarks>
/// The chart is written at whole-number resolution (temperature at 0.1 °C). Device values between two chart rows
/// (a pulse of 90.6) are rounded half away from zero to that resolution first, as a nurse charting the value
/// would, so that every value falls in exactly one row.
/// </remarks>
public sealed class News2Scorer
{
    private static readonly News2Parameter[] s_chartOrder = Enum.GetValues<News2Parameter>();
    private readonly News2Options _options;

    /// <summary>Creates a scorer with the given validity windows.</summary>
    public News2Scorer(News2Options options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
    }

    /// <summary>
    /// Scores the latest valid reading of each parameter whose time lies within its validity window before
    /// <paramref name="at"/>. Non-finite values are ignored.
    /// </summary>
    public News2Result Score(IEnumerable<News2Reading> readings, SpO2Scale scale, DateTimeOffset at)
    {
        ArgumentNullException.ThrowIfNull(readings);
        var latest = new News2Reading?[s_chartOrder.Length];
        foreach (var reading in readings)
        {
            if (!double.IsFinite(reading.Value) || !IsDefined(reading.Parameter))
            {
                continue;
            }

            var window = _options.WindowOf(reading.Parameter);
            if (reading.Time < at - window || reading.Time > at + _options.ClockSkew)
            {
                continue;
            }

            ref var slot = ref latest[(int)reading.Parameter];
            if (slot is null || reading.Time >= slot.Time)
            {
                slot = reading;
            }
        }

        var onOxygen = latest[(int)News2Parameter.SupplementalOxygen] is { } oxygen && oxygen.Value >= 0.5;
        var scores = new List<News2ParameterScore>(s_chartOrder.Length);
        var missing = new List<News2Parameter>();
        var aggregate = 0;
        var red = false;
        foreach (var parameter in s_chartOrder)
        {
            if (latest[(int)parameter] is not { } reading)
            {
                missing.Add(parameter);
                continue;
            }

            var score = ScoreParameter(parameter, reading.Value, scale, onOxygen);
            aggregate += score;
            red |= score == 3;
            scores.Add(new News2ParameterScore(parameter, score, reading));
        }

        var assumedAir = latest[(int)News2Parameter.SupplementalOxygen] is null;
        return new News2Result(at, scale, aggregate, RiskOf(aggregate, red), red, scores, missing, assumedAir);
    }

    /// <summary>Chart 2: 7+ high, 5–6 medium, a single 3 low–medium, otherwise low.</summary>
    public static ClinicalRisk RiskOf(int aggregate, bool hasSingleParameterScoreOf3) => aggregate switch
    {
        >= 7 => ClinicalRisk.High,
        >= 5 => ClinicalRisk.Medium,
        _ when hasSingleParameterScoreOf3 => ClinicalRisk.LowMedium,
        _ => ClinicalRisk.Low,
    };

    /// <summary>Chart 1 score of one parameter value.</summary>
    public static int ScoreParameter(News2Parameter parameter, double value, SpO2Scale scale, bool onOxygen) => parameter switch
    {
        News2Parameter.RespirationRate => RespirationRate(Whole(value)),
        News2Parameter.OxygenSaturation => scale == SpO2Scale.Scale2 ? SpO2Scale2(Whole(value), onOxygen) : SpO2Scale1(Whole(value)),
        News2Parameter.SupplementalOxygen => value >= 0.5 ? 2 : 0,
        News2Parameter.SystolicBloodPressure => SystolicBloodPressure(Whole(value)),
        News2Parameter.Pulse => Pulse(Whole(value)),
        News2Parameter.Consciousness => Whole(value) == (int)Consciousness.Alert ? 0 : 3,
        News2Parameter.Temperature => Temperature(Tenths(value)),
        _ => throw new ArgumentOutOfRangeException(nameof(parameter), parameter, "Unknown NEWS2 parameter."),
    };

    private static int RespirationRate(int rate) => rate switch
    {
        <= 8 => 3,
        <= 11 => 1,
        <= 20 => 0,
        <= 24 => 2,
        _ => 3,
    };

    private static int SpO2Scale1(int saturation) => saturation switch
    {
        <= 91 => 3,
        <= 93 => 2,
        <= 95 => 1,
        _ => 0,
    };

    // Scale 2: below 88% scores as hypoxaemia whatever the oxygen; at or above 93% only oxygen therapy scores,
    // because over-oxygenation is the risk in hypercapnic failure.
    private static int SpO2Scale2(int saturation, bool onOxygen) => saturation switch
    {
        <= 83 => 3,
        <= 85 => 2,
        <= 87 => 1,
        <= 92 => 0,
        _ when !onOxygen => 0,
        <= 94 => 1,
        <= 96 => 2,
        _ => 3,
    };

    private static int SystolicBloodPressure(int pressure) => pressure switch
    {
        <= 90 => 3,
        <= 100 => 2,
        <= 110 => 1,
        <= 219 => 0,
        _ => 3,
    };

    private static int Pulse(int pulse) => pulse switch
    {
        <= 40 => 3,
        <= 50 => 1,
        <= 90 => 0,
        <= 110 => 1,
        <= 130 => 2,
        _ => 3,
    };

    // Tenths of a degree, so the chart's 35.0 / 36.0 / 38.0 / 39.0 boundaries compare exactly.
    private static int Temperature(int tenths) => tenths switch
    {
        <= 350 => 3,
        <= 360 => 1,
        <= 380 => 0,
        <= 390 => 1,
        _ => 2,
    };

    private static int Whole(double value) => (int)Math.Clamp(Math.Round(value, MidpointRounding.AwayFromZero), int.MinValue, int.MaxValue);

    // Through decimal so that 35.05 (stored as 35.04999…) rounds as written.
    private static int Tenths(double value) =>
        (int)Math.Round((decimal)Math.Clamp(value, -1000d, 1000d) * 10m, MidpointRounding.AwayFromZero);

    private static bool IsDefined(News2Parameter parameter) => (uint)parameter < (uint)s_chartOrder.Length;
}
