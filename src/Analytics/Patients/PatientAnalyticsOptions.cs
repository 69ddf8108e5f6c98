using Microsoft.Extensions.Options;
using PatientStream.Analytics.News2;

namespace PatientStream.Analytics.Patients;

/// <summary>Thresholds of the per-patient analytics. Defaults follow common remote-monitoring practice; sites tune them.</summary>
public sealed class PatientAnalyticsOptions
{
    /// <summary>NEWS2 validity windows.</summary>
    public News2Options News2 { get; set; } = new();

    /// <summary>Resting heart rate (mean of the day's lowest readings) this far above the baseline raises an alert. Default 10 /min.</summary>
    public double RestingHeartRateRise { get; set; } = 10;

    /// <summary>Readings per day that make up its resting heart rate (the lowest ones are averaged). Default 10.</summary>
    public int RestingHeartRateSamples { get; set; } = 10;

    /// <summary>Weight gain over <see cref="WeightGainDays"/> days that raises an alert for heart failure. Default 2 kg.</summary>
    public double WeightGainKg { get; set; } = 2;

    /// <summary>Days over which weight gain is measured. Default 3.</summary>
    public int WeightGainDays { get; set; } = 3;

    /// <summary>A day's mean SpO2 this many points below the baseline raises an alert. Default 3.</summary>
    public double SpO2Drop { get; set; } = 3;

    /// <summary>Days of history that form a trend baseline (at least 2 are needed). Default 7.</summary>
    public int BaselineDays { get; set; } = 7;

    /// <summary>A device silent for this long raises an alert. Default 1 hour.</summary>
    public TimeSpan DeviceSilentAfter { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Battery at or below this percentage raises an alert. Default 15.</summary>
    public double LowBatteryPercent { get; set; } = 15;

    /// <summary>Implausible readings among a device's last 64 that raise an alert. Default 8.</summary>
    public int ImplausibleOf64 { get; set; } = 8;

    /// <summary>An alert is resolved only once its condition has been clear this long (no flapping). Default 15 minutes.</summary>
    public TimeSpan ResolveAfter { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>An alert still active this long after its last notification is escalated one level. Default 30 minutes.</summary>
    public TimeSpan EscalateAfter { get; set; } = TimeSpan.FromMinutes(30);

    /// <summary>Highest escalation level. Default 3.</summary>
    public int MaxEscalationLevel { get; set; } = 3;
}

/// <summary>Fails start-up on thresholds that cannot work.</summary>
public sealed class PatientAnalyticsOptionsValidator : IValidateOptions<PatientAnalyticsOptions>
{
    /// <inheritdoc/>
    public ValidateOptionsResult Validate(string? name, PatientAnalyticsOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        var news2 = new News2OptionsValidator().Validate(name, options.News2);
        if (news2.Failed)
        {
            failures.AddRange(news2.Failures);
        }

        Check(options.RestingHeartRateRise > 0, "Analytics:RestingHeartRateRise must be above zero.");
        Check(options.RestingHeartRateSamples is >= 1 and <= DayStats.MaxRestingSamples, $"Analytics:RestingHeartRateSamples must be between 1 and {DayStats.MaxRestingSamples}.");
        Check(options.WeightGainKg > 0, "Analytics:WeightGainKg must be above zero.");
        Check(options.WeightGainDays is >= 1 and < DailySeries.Capacity, $"Analytics:WeightGainDays must be between 1 and {DailySeries.Capacity - 1}.");
        Check(options.SpO2Drop > 0, "Analytics:SpO2Drop must be above zero.");
        Check(options.BaselineDays is >= 2 and < DailySeries.Capacity, $"Analytics:BaselineDays must be between 2 and {DailySeries.Capacity - 1}.");
        Check(options.DeviceSilentAfter > TimeSpan.Zero, "Analytics:DeviceSilentAfter must be above zero.");
        Check(options.LowBatteryPercent is >= 0 and <= 100, "Analytics:LowBatteryPercent must be between 0 and 100.");
        Check(options.ImplausibleOf64 is >= 1 and <= 64, "Analytics:ImplausibleOf64 must be between 1 and 64.");
        Check(options.ResolveAfter >= TimeSpan.Zero, "Analytics:ResolveAfter must not be negative.");
        Check(options.EscalateAfter > TimeSpan.Zero, "Analytics:EscalateAfter must be above zero.");
        Check(options.MaxEscalationLevel is >= 0 and <= 10, "Analytics:MaxEscalationLevel must be between 0 and 10.");
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);

        void Check(bool ok, string failure)
        {
            if (!ok)
            {
                failures.Add(failure);
            }
        }
    }
}
