using System.Collections.Concurrent;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Text;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using PatientStream.Mqtt;

namespace PatientStream.EdgeAgent.Simulation;

/// <summary>Counters of a simulator run.</summary>
/// <param name="Connections">Connections made, reconnections included.</param>
public sealed record SimulatorStats(long Published, long Refused, long Connections, IReadOnlyDictionary<string, long> Faults)
{
    /// <summary>Devices that hold an operational certificate (0 without TLS).</summary>
    public long Enrolled { get; init; }

    /// <summary>Devices connected to the broker now.</summary>
    public long Connected { get; init; }

    /// <summary>Devices that stopped because they could not enroll or connect.</summary>
    public long Failed { get; init; }

    /// <summary>Why the first failed device stopped, or null.</summary>
    public string? FirstFailure { get; init; }
}

/// <summary>
/// Runs N simulated devices, each with its own MQTT connection (and, over TLS, its own operational certificate from
/// <see cref="IDeviceEnrollment"/>), publishing QoS 1 batches every <see cref="SimulatorOptions.Interval"/>.
/// Each device announces itself on its retained status topic, with a last will of "offline".
/// </summary>
public sealed class DeviceSimulator
{
    private readonly SimulatorOptions _options;
    private readonly IDeviceEnrollment? _enrollment;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly ConcurrentDictionary<string, long> _faults = new(StringComparer.Ordinal);
    private long _published;
    private long _refused;
    private long _connections;
    private long _connected;
    private long _enrolled;
    private long _failed;
    private string? _firstFailure;

    public DeviceSimulator(SimulatorOptions options, IDeviceEnrollment? enrollment = null, ILogger<DeviceSimulator>? logger = null,
        TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        if (options.BrokerCa is not null && enrollment is null)
        {
            throw new ArgumentException("A TLS broker needs device enrollment to issue each device its certificate.", nameof(enrollment));
        }
        _options = options;
        _enrollment = enrollment;
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        _time = time ?? TimeProvider.System;
    }

    /// <summary>Device ids of this run, in order.</summary>
    public IReadOnlyList<string> DeviceIds => [.. Enumerable.Range(0, _options.Patients).Select(DeviceId)];

    public SimulatorStats Stats => new(Interlocked.Read(ref _published), Interlocked.Read(ref _refused), Interlocked.Read(ref _connections),
        new Dictionary<string, long>(_faults, StringComparer.Ordinal))
    {
        Enrolled = Interlocked.Read(ref _enrolled),
        Connected = Interlocked.Read(ref _connected),
        Failed = Interlocked.Read(ref _failed),
        FirstFailure = Volatile.Read(ref _firstFailure),
    };

    private string DeviceId(int index) => $"{_options.DevicePrefix}-{index:D4}";

    /// <summary>Runs every device until it has sent <see cref="SimulatorOptions.BatchesPerDevice"/> batches or until cancelled.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var devices = Enumerable.Range(0, _options.Patients)
            .Select(i => new SimulatedDevice(DeviceId(i), i, _options, _options.Patients > 1 ? DeviceId((i + 1) % _options.Patients) : null))
            .ToList();
        _logger.LogInformation("Simulating {Patients} patients ({Deteriorating} deteriorating), faults: {Faults}",
            devices.Count, devices.Count(d => d.Physiology.Deteriorates), _options.Faults);
        await Task.WhenAll(devices.Select((d, i) => RunDeviceAsync(d, i, cancellationToken))).ConfigureAwait(false);
    }

    private async Task RunDeviceAsync(SimulatedDevice device, int index, CancellationToken cancellationToken)
    {
        try
        {
            var options = await ClientOptionsAsync(device.DeviceId, cancellationToken).ConfigureAwait(false);
            if (_enrollment is not null)
            {
                Interlocked.Increment(ref _enrolled);
            }
            // Spread connections and batches over the interval rather than all devices at once.
            await Task.Delay(_options.Interval * index / _options.Patients, _time, cancellationToken).ConfigureAwait(false);
            MqttClient? client = await ConnectAsync(options, cancellationToken).ConfigureAwait(false);
            try
            {
                using var timer = new PeriodicTimer(_options.Interval, _time);
                for (var sent = 0; _options.BatchesPerDevice == 0 || sent < _options.BatchesPerDevice; sent++)
                {
                    var step = device.Next(_time.GetUtcNow());
                    if (step.Disconnect)
                    {
                        Count(SimulatorFaults.Disconnects);
                        // As a device losing power: the broker publishes the will ("offline") for it.
                        await client.DisconnectAsync(MqttReasonCode.DisconnectWithWillMessage, cancellationToken).ConfigureAwait(false);
                        await CloseAsync(client).ConfigureAwait(false);
                        client = null;
                        // A long run outlives a 24 h certificate: reconnecting asks for a current one.
                        options = await ClientOptionsAsync(device.DeviceId, cancellationToken).ConfigureAwait(false);
                        client = await ConnectAsync(options, cancellationToken).ConfigureAwait(false);
                    }
                    foreach (var publication in step.Publications)
                    {
                        await PublishAsync(client, publication, cancellationToken).ConfigureAwait(false);
                    }
                    if (_options.BatchesPerDevice == 0 || sent + 1 < _options.BatchesPerDevice)
                    {
                        await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false);
                    }
                }
                if (device.TakeHeld() is { } held)
                {
                    await PublishAsync(client, held, cancellationToken).ConfigureAwait(false);
                }
                await client.PublishAsync(StatusTopic(device.DeviceId), Encoding.UTF8.GetBytes("offline"), retain: true, cancellationToken: cancellationToken)
                    .ConfigureAwait(false);
                await client.DisconnectAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                if (client is not null)
                {
                    await CloseAsync(client).ConfigureAwait(false);
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
        catch (Exception e) when (e is DeviceEnrollmentException or MqttConnectionException or MqttProtocolException or IOException or SocketException
            or AuthenticationException or TimeoutException)
        {
            // One device that cannot enroll or connect must not stop the others: it is counted and reported.
            Interlocked.Increment(ref _failed);
            Interlocked.CompareExchange(ref _firstFailure, $"device {device.DeviceId}: {e.Message}", null);
            _logger.LogWarning("Device {DeviceId} stopped: {Reason}", device.DeviceId, e is DeviceEnrollmentException d ? d.Code : e.Message);
        }
    }

    private static string StatusTopic(string deviceId) => $"ps/v1/devices/{deviceId}/status";

    private async Task<MqttClientOptions> ClientOptionsAsync(string deviceId, CancellationToken cancellationToken)
    {
        var certificate = _enrollment is null ? null : await _enrollment.EnrollAsync(deviceId, cancellationToken).ConfigureAwait(false);
        return new MqttClientOptions
        {
            Host = _options.BrokerHost,
            Port = _options.BrokerPort,
            ClientId = deviceId,
            // MQTT 5: the broker says why it refuses a publication (a spoofed topic comes back as not authorized).
            ProtocolVersion = MqttProtocolVersion.V500,
            CleanSession = false,
            KeepAlive = TimeSpan.FromSeconds(30),
            Will = new MqttApplicationMessage(StatusTopic(deviceId), Encoding.UTF8.GetBytes("offline")) { Retain = true },
            Tls = _options.BrokerCa is null ? null : new MqttTlsOptions
            {
                TrustedCa = _options.BrokerCa,
                ClientCertificate = certificate,
                TargetHost = _options.BrokerTlsName,
            },
        };
    }

    private async Task<MqttClient> ConnectAsync(MqttClientOptions options, CancellationToken cancellationToken)
    {
        var client = new MqttClient(options);
        try
        {
            var result = await client.ConnectAsync(cancellationToken).ConfigureAwait(false);
            if (!result.IsSuccess)
            {
                throw new MqttConnectionException($"the broker refused device {options.ClientId}: {result.ReasonCode}");
            }
            Interlocked.Increment(ref _connections);
            Interlocked.Increment(ref _connected);
        }
        catch
        {
            await client.DisposeAsync().ConfigureAwait(false);
            throw;
        }
        try
        {
            await client.PublishAsync(StatusTopic(options.ClientId), Encoding.UTF8.GetBytes("online"), retain: true, cancellationToken: cancellationToken)
                .ConfigureAwait(false);
            return client;
        }
        catch
        {
            await CloseAsync(client).ConfigureAwait(false);
            throw;
        }
    }

    private async Task CloseAsync(MqttClient client)
    {
        Interlocked.Decrement(ref _connected);
        await client.DisposeAsync().ConfigureAwait(false);
    }

    private async Task PublishAsync(MqttClient client, SimulatedPublication publication, CancellationToken cancellationToken)
    {
        if (publication.Fault != SimulatorFaults.None)
        {
            Count(publication.Fault);
        }
        var result = await client.PublishAsync(publication.Topic, publication.Payload, cancellationToken: cancellationToken).ConfigureAwait(false);
        Interlocked.Increment(ref result.IsSuccess ? ref _published : ref _refused);
    }

    private void Count(SimulatorFaults fault) => _faults.AddOrUpdate(SimulatorFaultNames.Name(fault), 1, (_, n) => n + 1);
}
