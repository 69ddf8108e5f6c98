using Microsoft.Extensions.Options;

namespace PatientStream.Ingest.Influx;

/// <summary>Where InfluxDB is (v1 HTTP API: 1.x, 2.x compatibility, 3.x) and how writes are batched and retried.</summary>
public sealed record InfluxOptions
{
    /// <summary>Base address, e.g. http://127.0.0.1:8086/.</summary>
    public Uri? Url { get; init; }

    public string Database { get; init; } = "patientstream";

    /// <summary>Retention policy; empty means the database default.</summary>
    public string? RetentionPolicy { get; init; }

    public string? Username { get; init; }

    public string? Password { get; init; }

    /// <summary>Most lines per HTTP request (InfluxDB recommends 5,000 to 10,000).</summary>
    public int BatchSize { get; init; } = 5_000;

    /// <summary>Requests of one write sent at once: InfluxDB parses and indexes them on separate cores.</summary>
    public int MaxConcurrentRequests { get; init; } = 4;

    /// <summary>Compress request bodies (Content-Encoding: gzip).</summary>
    public bool Gzip { get; init; } = true;

    /// <summary>Attempts per request on 5xx, 429 and connection failures before the write fails.</summary>
    public int MaxAttempts { get; init; } = 5;

    /// <summary>First back-off; doubles per attempt up to <see cref="MaxBackoff"/>. A Retry-After header wins when longer.</summary>
    public TimeSpan InitialBackoff { get; init; } = TimeSpan.FromMilliseconds(100);

    public TimeSpan MaxBackoff { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Create the database at start-up when it is missing.</summary>
    public bool CreateDatabase { get; init; } = true;
}

/// <summary>Fails start-up with every problem in the InfluxDB settings.</summary>
public sealed class InfluxOptionsValidator : IValidateOptions<InfluxOptions>
{
    public ValidateOptionsResult Validate(string? name, InfluxOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        if (options.Url is null || !options.Url.IsAbsoluteUri || options.Url.Scheme is not ("http" or "https"))
        {
            failures.Add("Influx Url must be an absolute http(s) address.");
        }
        if (string.IsNullOrWhiteSpace(options.Database))
        {
            failures.Add("Influx Database must not be empty.");
        }
        if (options.BatchSize < 1)
        {
            failures.Add("Influx BatchSize must be positive.");
        }
        if (options.MaxConcurrentRequests < 1)
        {
            failures.Add("Influx MaxConcurrentRequests must be positive.");
        }
        if (options.MaxAttempts < 1)
        {
            failures.Add("Influx MaxAttempts must be at least 1.");
        }
        if (options.InitialBackoff <= TimeSpan.Zero || options.MaxBackoff < options.InitialBackoff)
        {
            failures.Add("Influx InitialBackoff must be positive and not above MaxBackoff.");
        }
        if (string.IsNullOrEmpty(options.Username) != string.IsNullOrEmpty(options.Password))
        {
            failures.Add("Influx Username and Password go together.");
        }
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    public static InfluxOptions EnsureValid(InfluxOptions options)
    {
        var result = new InfluxOptionsValidator().Validate(null, options);
        return result.Failed ? throw new OptionsValidationException(nameof(InfluxOptions), typeof(InfluxOptions), result.Failures) : options;
    }
}
