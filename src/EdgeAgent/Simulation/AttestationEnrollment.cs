using System.Collections.Concurrent;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using PatientStream.Consent.Attestation;
using PatientStream.Consent.Ca;

namespace PatientStream.EdgeAgent.Simulation;

/// <summary>
/// Enrolls simulated devices through the server's X.509 attestation API, as a real device does on first boot:
/// a fresh P-256 key, a CSR for it, the manufacturer's birth certificate, a single-use nonce, and the proof (the
/// nonce and the CSR hash signed with the birth-certificate key) exchanged for a 24 h operational certificate.
/// Each device's key and certificate are kept under <c>{manufacturer folder}/devices/{id}/</c> and reused on
/// restart while valid for longer than <see cref="AttestationEnrollmentOptions.RenewBefore"/> and issued by the
/// server's current device CA; otherwise the device enrolls again. At most
/// <see cref="AttestationEnrollmentOptions.MaxConcurrency"/> enrollments run at once.
/// </summary>
public sealed class AttestationEnrollment : IDeviceEnrollment, IDisposable
{
    private static readonly JsonSerializerOptions s_json = new(JsonSerializerDefaults.Web);
    private static readonly TimeSpan s_clockTolerance = TimeSpan.FromMinutes(5);

    private readonly AttestationEnrollmentOptions _options;
    private readonly SimulatedManufacturer _manufacturer;
    private readonly DeviceCredentialStore _store;
    private readonly HttpClient _http;
    private readonly bool _ownsHttp;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly SemaphoreSlim _inFlight;
    private readonly ConcurrentDictionary<string, SemaphoreSlim> _deviceLocks = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, X509Certificate2> _current = new(StringComparer.Ordinal);
    private readonly ConcurrentBag<X509Certificate2> _retired = [];
    private readonly Lazy<Task<X509Certificate2?>> _serverCa;
    private long _enrolled;
    private long _reused;
    private long _failed;

    public AttestationEnrollment(AttestationEnrollmentOptions options, SimulatedManufacturer manufacturer, HttpClient? http = null,
        ILogger<AttestationEnrollment>? logger = null, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(manufacturer);
        options.Validate();
        _options = options;
        _manufacturer = manufacturer;
        _store = new DeviceCredentialStore(manufacturer.Folder);
        _ownsHttp = http is null;
        _http = http ?? new HttpClient(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5) })
        {
            Timeout = Timeout.InfiniteTimeSpan,
        };
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        _time = time ?? TimeProvider.System;
        _inFlight = new SemaphoreSlim(options.MaxConcurrency, options.MaxConcurrency);
        _serverCa = new Lazy<Task<X509Certificate2?>>(() => FetchServerCaAsync(CancellationToken.None));
    }

    public EnrollmentStats Stats => new(Interlocked.Read(ref _enrolled), Interlocked.Read(ref _reused), Interlocked.Read(ref _failed));

    /// <summary>The device's operational certificate with its private key; owned by this enrollment (do not dispose).</summary>
    /// <exception cref="DeviceEnrollmentException">The server refused the device or could not be reached.</exception>
    public async Task<X509Certificate2> EnrollAsync(string deviceId, CancellationToken cancellationToken)
    {
        if (!DeviceCa.IsValidDeviceId(deviceId))
        {
            throw new ArgumentException($"'{deviceId}' is not a valid device id (letters, digits, '-', '.').", nameof(deviceId));
        }
        if (_current.TryGetValue(deviceId, out var cached) && IsFresh(cached))
        {
            return cached;
        }
        var gate = _deviceLocks.GetOrAdd(deviceId, _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_current.TryGetValue(deviceId, out cached) && IsFresh(cached))
            {
                return cached;
            }
            if (_store.TryLoad(deviceId) is { } stored)
            {
                if (await IsUsableAsync(deviceId, stored, cancellationToken).ConfigureAwait(false))
                {
                    Interlocked.Increment(ref _reused);
                    return Remember(deviceId, stored);
                }
                stored.Dispose();
            }
            var issued = await EnrollWithRetriesAsync(deviceId, cancellationToken).ConfigureAwait(false);
            Interlocked.Increment(ref _enrolled);
            return Remember(deviceId, issued);
        }
        catch (DeviceEnrollmentException e)
        {
            Interlocked.Increment(ref _failed);
            _logger.LogDebug("Enrollment of device {DeviceId} failed: {Code}", deviceId, e.Code);
            throw;
        }
        finally
        {
            gate.Release();
        }
    }

    private X509Certificate2 Remember(string deviceId, X509Certificate2 certificate)
    {
        if (_current.TryGetValue(deviceId, out var previous) && !ReferenceEquals(previous, certificate))
        {
            // A live connection may still hold the previous certificate: it is released with this enrollment, not now.
            _retired.Add(previous);
        }
        _current[deviceId] = certificate;
        return certificate;
    }

    private bool IsFresh(X509Certificate2 certificate)
    {
        var now = _time.GetUtcNow().UtcDateTime;
        return certificate.NotBefore.ToUniversalTime() <= now + s_clockTolerance
            && certificate.NotAfter.ToUniversalTime() - now > _options.RenewBefore;
    }

    private async Task<bool> IsUsableAsync(string deviceId, X509Certificate2 stored, CancellationToken cancellationToken)
    {
        if (!IsFresh(stored) || stored.GetNameInfo(X509NameType.SimpleName, false) != deviceId)
        {
            return false;
        }
        // A server started on a new data folder has a new device CA: certificates of the old one would be refused by the broker.
        var ca = await _serverCa.Value.WaitAsync(cancellationToken).ConfigureAwait(false);
        if (ca is null)
        {
            return true;
        }
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(ca);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.VerificationTime = _time.GetUtcNow().UtcDateTime;
        return chain.Build(stored);
    }

    private async Task<X509Certificate2?> FetchServerCaAsync(CancellationToken cancellationToken)
    {
        try
        {
            var pem = await WithRetriesAsync("(server)", ct => SendAsync<string>("(server)", HttpMethod.Get, "ca", null, ct), cancellationToken).ConfigureAwait(false);
            return X509Certificate2.CreateFromPem(pem);
        }
        catch (Exception e) when (e is DeviceEnrollmentException or CryptographicException)
        {
            // Without the CA, stored certificates are tried as they are; the broker has the last word.
            _logger.LogWarning("Could not read the server's device CA ({Reason}); stored device certificates are not checked against it", e.Message);
            return null;
        }
    }

    private Task<X509Certificate2> EnrollWithRetriesAsync(string deviceId, CancellationToken cancellationToken) =>
        WithRetriesAsync(deviceId, async ct =>
        {
            await _inFlight.WaitAsync(ct).ConfigureAwait(false);
            try
            {
                return await EnrollOnceAsync(deviceId, ct).ConfigureAwait(false);
            }
            finally
            {
                _inFlight.Release();
            }
        }, cancellationToken);

    private async Task<T> WithRetriesAsync<T>(string deviceId, Func<CancellationToken, Task<T>> attempt, CancellationToken cancellationToken)
    {
        var delay = _options.RetryDelay;
        for (var n = 1; ; n++)
        {
            try
            {
                return await attempt(cancellationToken).ConfigureAwait(false);
            }
            catch (DeviceEnrollmentException e) when (e.IsTransient && n < _options.MaxAttempts)
            {
                _logger.LogDebug("Enrollment request for {DeviceId} failed ({Code}), attempt {Attempt} of {Attempts}", deviceId, e.Code, n, _options.MaxAttempts);
            }
            await Task.Delay(delay, _time, cancellationToken).ConfigureAwait(false);
            delay *= 2;
        }
    }

    private async Task<X509Certificate2> EnrollOnceAsync(string deviceId, CancellationToken cancellationToken)
    {
        using var birth = _manufacturer.IssueDeviceCertificate(deviceId);
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var csrPem = new CertificateRequest(new X500DistinguishedName("CN=" + deviceId), key, HashAlgorithmName.SHA256).CreateSigningRequestPem();
        var nonce = await SendAsync<NonceResponse>(deviceId, HttpMethod.Post, "nonce", null, cancellationToken).ConfigureAwait(false);
        var proof = birth.Key.SignData(AttestationProof.Message(nonce.Nonce, csrPem), HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence);
        var request = new X509EnrollmentRequest(birth.CertificatePem, nonce.Nonce, Convert.ToBase64String(proof), csrPem);
        var issued = await SendAsync<IssuedCertificate>(deviceId, HttpMethod.Post, "x509/enroll", JsonContent.Create(request, options: s_json), cancellationToken)
            .ConfigureAwait(false);
        X509Certificate2 certificate;
        try
        {
            certificate = X509Certificate2.CreateFromPem(issued.CertificatePem, key.ExportPkcs8PrivateKeyPem());
        }
        catch (CryptographicException e)
        {
            throw new DeviceEnrollmentException(deviceId, DeviceEnrollmentException.UnexpectedResponse, 200, "the issued certificate is unreadable or not for the device's key", e);
        }
        if (certificate.GetNameInfo(X509NameType.SimpleName, false) != deviceId)
        {
            certificate.Dispose();
            throw new DeviceEnrollmentException(deviceId, DeviceEnrollmentException.UnexpectedResponse, 200, "the issued certificate names another device");
        }
        _store.Save(deviceId, issued.CertificatePem, key);
        _logger.LogDebug("Device {DeviceId} enrolled; certificate {Serial} valid until {NotAfter:O}", deviceId, issued.Serial, issued.NotAfter);
        return certificate;
    }

    private async Task<T> SendAsync<T>(string deviceId, HttpMethod method, string path, HttpContent? content, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_options.RequestTimeout);
        using var request = new HttpRequestMessage(method, new Uri(_options.ApiBase, path)) { Content = content };
        HttpResponseMessage response;
        try
        {
            response = await _http.SendAsync(request, timeout.Token).ConfigureAwait(false);
        }
        catch (HttpRequestException e)
        {
            throw new DeviceEnrollmentException(deviceId, DeviceEnrollmentException.Unreachable, null, e.Message, e);
        }
        catch (OperationCanceledException e) when (!cancellationToken.IsCancellationRequested)
        {
            throw new DeviceEnrollmentException(deviceId, DeviceEnrollmentException.Unreachable, null, $"no answer within {_options.RequestTimeout.TotalSeconds:0} s", e);
        }
        using (response)
        {
            var status = (int)response.StatusCode;
            var body = await response.Content.ReadAsStringAsync(timeout.Token).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode)
            {
                var (code, text) = OperationOutcomeReader.Read(body);
                code ??= status >= 500 ? DeviceEnrollmentException.ServerError : DeviceEnrollmentException.UnexpectedResponse;
                throw new DeviceEnrollmentException(deviceId, code, status, text ?? $"HTTP {status} from {path}");
            }
            if (typeof(T) == typeof(string))
            {
                return (T)(object)body;
            }
            try
            {
                return JsonSerializer.Deserialize<T>(body, s_json)
                    ?? throw new DeviceEnrollmentException(deviceId, DeviceEnrollmentException.UnexpectedResponse, status, $"empty answer from {path}");
            }
            catch (JsonException e)
            {
                throw new DeviceEnrollmentException(deviceId, DeviceEnrollmentException.UnexpectedResponse, status, $"unreadable answer from {path}", e);
            }
        }
    }

    public void Dispose()
    {
        foreach (var certificate in _current.Values)
        {
            certificate.Dispose();
        }
        _current.Clear();
        foreach (var certificate in _retired)
        {
            certificate.Dispose();
        }
        foreach (var gate in _deviceLocks.Values)
        {
            gate.Dispose();
        }
        _inFlight.Dispose();
        if (_serverCa.IsValueCreated && _serverCa.Value.IsCompletedSuccessfully)
        {
            _serverCa.Value.Result?.Dispose();
        }
        if (_ownsHttp)
        {
            _http.Dispose();
        }
    }
}
