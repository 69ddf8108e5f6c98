using System.Collections.Concurrent;
using System.Text;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using PatientStream.Mqtt;

namespace PatientStream.EdgeAgent.Simulation;

/// <summary>Counters of a simulator run.</summary>
public sealed record SimulatorStats(long Published, long Refused, long Connections, IReadOnlyDictionary<string, long> Faults);

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
        new Dictionary<string, long>(_faults, StringComparer.Ordinal));

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
        var certificate = _enrollment is null ? null : await _enrollment.EnrollAsync(device.DeviceId, cancellationToken).ConfigureAwait(false);
        var status = $"ps/v1/devices/{device.DeviceId}/status";
        var options = new MqttClientOptions
        {
            Host = _options.BrokerHost,
            Port = _options.BrokerPort,
            ClientId = device.DeviceId,
            // MQTT 5: the broker says why it refuses a publication (a spoofed topic comes back as not authorized).
            ProtocolVersion = MqttProtocolVersion.V500,
            CleanSession = false,
            KeepAlive = TimeSpan.FromSeconds(30),
            Will = new MqttApplicationMessage(status, Encoding.UTF8.GetBytes("offline")) { Retain = true },
            Tls = _options.BrokerCa is null ? null : new MqttTlsOptions
            {
                TrustedCa = _options.BrokerCa,
                ClientCertificate = certificate,
                TargetHost = _options.BrokerTlsName,
            },
        };
        try
        {
            // Spread connections and batches over the interval rather than all devices at once.
            await Task.Delay(_options.Interval * index / _options.Patients, _time, cancellationToken).ConfigureAwait(false);
            var client = await ConnectAsync(options, status, cancellationToken).ConfigureAwait(false);
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
                        await client.DisposeAsync().ConfigureAwait(false);
                        client = await ConnectAsync(options, status, cancellationToken).ConfigureAwait(false);
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
                await client.PublishAsync(status, Encoding.UTF8.GetBytes("offline"), retain: true, cancellationToken: cancellationToken).ConfigureAwait(false);
                await client.DisconnectAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                await client.DisposeAsync().ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    private async Task<MqttClient> ConnectAsync(MqttClientOptions options, string status, CancellationToken cancellationToken)
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
            await client.PublishAsync(status, Encoding.UTF8.GetBytes("online"), retain: true, cancellationToken: cancellationToken).ConfigureAwait(false);
            return client;
        }
        catch
        {
            await client.DisposeAsync().ConfigureAwait(false);
            throw;
        }
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
