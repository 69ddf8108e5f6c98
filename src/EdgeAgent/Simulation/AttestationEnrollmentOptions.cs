namespace PatientStream.EdgeAgent.Simulation;

/// <summary>Settings of <see cref="AttestationEnrollment"/>. <see cref="Validate"/> names the first bad setting.</summary>
public sealed record AttestationEnrollmentOptions
{
    /// <summary>
    /// The server that offers <c>/attestation/v1</c> (<c>http://127.0.0.1:8080/</c>); a URL that already ends in
    /// <c>/attestation/v1/</c> is taken as it is.
    /// </summary>
    public required Uri Server { get; init; }

    /// <summary>Enrollments in flight at once; hundreds of devices starting together queue here (default 8).</summary>
    public int MaxConcurrency { get; init; } = 8;

    /// <summary>A stored certificate with less validity left than this is replaced by a new enrollment (default 2 h).</summary>
    public TimeSpan RenewBefore { get; init; } = TimeSpan.FromHours(2);

    /// <summary>Attempts per enrollment when the server is unreachable, overloaded or the nonce lapsed (default 5).</summary>
    public int MaxAttempts { get; init; } = 5;

    /// <summary>First back-off between attempts, doubled each time (default 200 ms).</summary>
    public TimeSpan RetryDelay { get; init; } = TimeSpan.FromMilliseconds(200);

    /// <summary>Time limit of one HTTP request (default 30 s).</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>The attestation API's base address, with its trailing slash.</summary>
    public Uri ApiBase
    {
        get
        {
            var text = Server.AbsoluteUri.TrimEnd('/') + "/";
            return new Uri(text.EndsWith("/attestation/v1/", StringComparison.Ordinal) ? text : text + "attestation/v1/");
        }
    }

    public void Validate()
    {
        static void Check(bool ok, string name, string why)
        {
            if (!ok)
            {
                throw new ArgumentException($"AttestationEnrollmentOptions.{name}: {why}", name);
            }
        }
        Check(Server is { IsAbsoluteUri: true } && (Server.Scheme == Uri.UriSchemeHttp || Server.Scheme == Uri.UriSchemeHttps),
            nameof(Server), "must be an absolute http(s) URL.");
        Check(MaxConcurrency is > 0 and <= 256, nameof(MaxConcurrency), "must be 1..256.");
        Check(RenewBefore >= TimeSpan.Zero && RenewBefore < TimeSpan.FromHours(24), nameof(RenewBefore), "must be 0..24 h (operational certificates last 24 h).");
        Check(MaxAttempts is > 0 and <= 20, nameof(MaxAttempts), "must be 1..20.");
        Check(RetryDelay > TimeSpan.Zero && RetryDelay <= TimeSpan.FromSeconds(10), nameof(RetryDelay), "must be positive and at most 10 s.");
        Check(RequestTimeout > TimeSpan.Zero, nameof(RequestTimeout), "must be positive.");
    }
}

/// <summary>Counters of an <see cref="AttestationEnrollment"/>: new certificates, stored ones reused, refusals.</summary>
public sealed record EnrollmentStats(long Enrolled, long Reused, long Failed);

/// <summary>
/// An enrollment that did not produce a certificate. <see cref="Code"/> is the server's OperationOutcome code
/// (<c>unknown-ca</c>, <c>device-not-bound</c>, <c>device-revoked</c>, ...) or, when the server gave none,
/// <c>server-unreachable</c>, <c>server-error</c> or <c>unexpected-response</c>.
/// </summary>
public sealed class DeviceEnrollmentException : Exception
{
    public const string Unreachable = "server-unreachable";
    public const string ServerError = "server-error";
    public const string UnexpectedResponse = "unexpected-response";

    public DeviceEnrollmentException()
    {
    }

    public DeviceEnrollmentException(string message)
        : base(message)
    {
    }

    public DeviceEnrollmentException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public DeviceEnrollmentException(string deviceId, string code, int? statusCode, string message, Exception? innerException = null)
        : base($"enrollment of device {deviceId} refused ({code}): {message}", innerException)
    {
        DeviceId = deviceId;
        Code = code;
        StatusCode = statusCode;
    }

    public string DeviceId { get; } = "";

    public string Code { get; } = UnexpectedResponse;

    /// <summary>The HTTP status of the refusal, or null when the server could not be reached.</summary>
    public int? StatusCode { get; }

    /// <summary>True when trying again later may succeed (server unreachable or overloaded, nonce lapsed).</summary>
    public bool IsTransient => Code is Unreachable or ServerError or "nonce-expired" or "nonce-unknown" or "too-many-pending-challenges";
}
