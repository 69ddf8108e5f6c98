namespace PatientStream.Analytics.Patients;

/// <summary>The trend rules over a patient's daily series. Each returns a short summary when the condition holds.</summary>
internal static class TrendRules
{
    private const int MinSpO2ReadingsPerDay = 6;

    /// <summary>Resting heart rate of the two latest closed days above the baseline of the days before them.</summary>
    public static string? RestingHeartRateRising(DailySeries series, int today, PatientAnalyticsOptions options)
    {
        var resting = series.Days
            .Where(d => d.Day < today)
            .Select(d => d.RestingHeartRate(options.RestingHeartRateSamples))
            .Where(r => !double.IsNaN(r))
            .ToList();
        if (resting.Count < 4)
        {
            return null;
        }

        var recent = (resting[^1] + resting[^2]) / 2;
        var baseline = resting.Take(resting.Count - 2).TakeLast(options.BaselineDays).Average();
        return recent - baseline >= options.RestingHeartRateRise
            ? FormattableString.Invariant($"Resting heart rate {recent:0} /min over the last 2 days, baseline {baseline:0} /min")
            : null;
    }

    /// <summary>Latest weight against the lowest of the previous days in the window.</summary>
    public static string? WeightGain(DailySeries series, int today, PatientAnalyticsOptions options)
    {
        var current = series.Find(today);
        if (current is null || double.IsNaN(current.Weight))
        {
            return null;
        }

        var earlier = series.Days
            .Where(d => d.Day < today && d.Day >= today - options.WeightGainDays && !double.IsNaN(d.Weight))
            .Select(d => d.Weight)
            .DefaultIfEmpty(double.NaN)
            .Min();
        return !double.IsNaN(earlier) && current.Weight - earlier >= options.WeightGainKg
            ? FormattableString.Invariant($"Weight up {current.Weight - earlier:0.0} kg within {options.WeightGainDays} days")
            : null;
    }

    /// <summary>The latest day with enough SpO2 readings against the mean of the days before it.</summary>
    public static string? SpO2Drift(DailySeries series, PatientAnalyticsOptions options)
    {
        var days = series.Days.Where(d => d.SpO2Count >= MinSpO2ReadingsPerDay).ToList();
        if (days.Count < 3)
        {
            return null;
        }

        var current = days[^1].SpO2Sum / days[^1].SpO2Count;
        var baseline = days.Take(days.Count - 1).TakeLast(options.BaselineDays).Average(d => d.SpO2Sum / d.SpO2Count);
        return baseline - current >= options.SpO2Drop
            ? FormattableString.Invariant($"Mean SpO2 {current:0.0}% against a baseline of {baseline:0.0}%")
            : null;
    }
}
