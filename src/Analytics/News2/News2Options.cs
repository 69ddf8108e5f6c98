using Microsoft.Extensions.Options;

namespace PatientStream.Analytics.News2;

/// <summary>How long a reading stays usable for NEWS2. Defaults suit remote monitoring with spot checks.</summary>
public sealed class News2Options
{
    /// <summary>Validity of respiration rate, SpO2, pulse and oxygen readings. Default 1 hour.</summary>
    public TimeSpan VitalSignWindow { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Validity of blood pressure, temperature and consciousness (spot measurements). Default 6 hours.</summary>
    public TimeSpan SpotCheckWindow { get; set; } = TimeSpan.FromHours(6);

    /// <summary>Readings stamped this far in the future of the evaluation time are still accepted (device clock skew). Default 2 minutes.</summary>
    public TimeSpan ClockSkew { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>Window of one parameter.</summary>
    public TimeSpan WindowOf(News2Parameter parameter) => parameter switch
    {
        News2Parameter.SystolicBloodPressure or News2Parameter.Temperature or News2Parameter.Consciousness => SpotCheckWindow,
        _ => VitalSignWindow,
    };
}

/// <summary>Fails start-up on windows that would make NEWS2 meaningless.</summary>
public sealed class News2OptionsValidator : IValidateOptions<News2Options>
{
    /// <inheritdoc/>
    public ValidateOptionsResult Validate(string? name, News2Options options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        if (options.VitalSignWindow <= TimeSpan.Zero || options.VitalSignWindow > TimeSpan.FromDays(7))
        {
            failures.Add("News2:VitalSignWindow must be above zero and at most 7 days.");
        }

        if (options.SpotCheckWindow <= TimeSpan.Zero || options.SpotCheckWindow > TimeSpan.FromDays(7))
        {
            failures.Add("News2:SpotCheckWindow must be above zero and at most 7 days.");
        }

        if (options.ClockSkew < TimeSpan.Zero || options.ClockSkew > TimeSpan.FromHours(1))
        {
            failures.Add("News2:ClockSkew must be between zero and 1 hour.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
