using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using PatientStream.EdgeAgent.Audit;
using PatientStream.EdgeAgent.Buffer;
using PatientStream.EdgeAgent.Gate;
using PatientStream.Kafka;
using PatientStream.Kafka.Contracts;
using PatientStream.Mqtt;

namespace PatientStream.EdgeAgent;

/// <summary>The agent could not start or its storage failed; <see cref="Code"/> is stable.</summary>
public sealed class EdgeAgentException(string code, string message, Exception? inner = null) : Exception(message, inner)
{
    public const string BrokerRefused = "edge.mqtt.refused";
    public const string SubscribeRefused = "edge.mqtt.subscribe";

    public string Code { get; } = code;
}

/// <summary>
/// The edge agent: reads device batches from the local broker (shared subscription, QoS 1, manual acknowledgement),
/// passes each through the <see cref="EdgeGate"/>, appends what may leave to the <see cref="DurableBuffer"/>, and
/// acknowledges a message only after its append is on disk (rejected and quarantined ones once recorded). The
/// <see cref="Forwarder"/> drains the buffer to Kafka. Acknowledgements go out in receive order.
/// </summary>
public sealed class EdgeAgentService : IDisposable
{
    private readonly EdgeAgentOptions _options;
    private readonly IDeviceDirectory _devices;
    private readonly IConsentDecider _consent;
    private readonly ILoggerFactory _loggers;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public EdgeAgentService(EdgeAgentOptions options, IDeviceDirectory devices, IConsentDecider consent,
        ILoggerFactory? loggers = null, TimeProvider? time = null)
    {
        _options = EdgeAgentOptionsValidator.EnsureValid(options);
        _devices = devices ?? throw new ArgumentNullException(nameof(devices));
        _consent = consent ?? throw new ArgumentNullException(nameof(consent));
        _loggers = loggers ?? NullLoggerFactory.Instance;
        _logger = _loggers.CreateLogger<EdgeAgentService>();
        _time = time ?? TimeProvider.System;
    }

    public EdgeMetrics Metrics { get; } = new();

    /// <summary>Raised after every successful subscription: at start and after a reconnect to a broker that lost the session.</summary>
    public event EventHandler? Subscribed;

    /// <summary>Completes once the agent is connected and subscribed; faults when it could not start.</summary>
    public Task Ready => _ready.Task;

    /// <summary>Runs until cancelled or until storage fails (then throws <see cref="EdgeBufferException"/>).</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        try
        {
            await RunCoreAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            _ready.TrySetException(e);
            throw;
        }
        finally
        {
            _ready.TrySetCanceled(CancellationToken.None);
        }
    }

    private async Task RunCoreAsync(CancellationToken cancellationToken)
    {
        var buffer = DurableBuffer.Open(_options.Buffer, Metrics, _time);
        await using var _ = buffer.ConfigureAwait(false);
        using var audit = new JsonLinesAudit(_options.AuditPath);
        var gate = new EdgeGate(_devices, _consent, audit, _options.Gate, Metrics);
        var forwarder = new Forwarder(buffer, () => new KafkaProducer(_options.Kafka, _loggers.CreateLogger<KafkaProducer>()),
            _options.Forwarder, Metrics, _loggers.CreateLogger<Forwarder>(), _time);
        // MQTT 5 so the agent's receive maximum (not the broker's small default window, 20 in Mosquitto) bounds the
        // deliveries awaiting acknowledgement: many appends then share one commit.
        var client = new MqttClient(_options.Mqtt with
        {
            AutoAcknowledge = false,
            CleanSession = false,
            ProtocolVersion = MqttProtocolVersion.V500,
            ReceiveBufferCapacity = Math.Max(_options.Mqtt.ReceiveBufferCapacity, _options.MaxPendingAcks),
        }, _loggers.CreateLogger<MqttClient>());
        await using var __ = client.ConfigureAwait(false);

        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        client.Connected += (_, e) =>
        {
            // A broker that lost the agent's session (restarted without persistence) forgot the subscription too.
            if (e.IsReconnect && !e.Result.SessionPresent)
            {
                _ = ResubscribeAsync(client, stop.Token);
            }
        };
        // Forwarding starts before the broker connection so batches left by a crash drain even while MQTT is down.
        var forwarding = forwarder.RunAsync(stop.Token);
        try
        {
            await ConnectAsync(client, stop.Token).ConfigureAwait(false);
            _ready.TrySetResult();
            _logger.LogInformation("Edge agent subscribed to {Subscription}; {Held} batches held in the buffer", _options.Subscription, buffer.Count);

            var pending = Channel.CreateBounded<PendingAck>(new BoundedChannelOptions(_options.MaxPendingAcks)
            {
                FullMode = BoundedChannelFullMode.Wait,
                SingleReader = true,
                SingleWriter = true,
            });
            var acking = AcknowledgeInOrderAsync(pending.Reader, stop.Token);
            var receiving = ReceiveAsync(client, gate, buffer, pending.Writer, stop.Token);
            var first = await Task.WhenAny(acking, receiving, forwarding).ConfigureAwait(false);
            await stop.CancelAsync().ConfigureAwait(false);
            await Task.WhenAll(acking, receiving, forwarding).ConfigureAwait(false);
            await first.ConfigureAwait(false);
        }
        finally
        {
            await stop.CancelAsync().ConfigureAwait(false);
            await forwarding.ConfigureAwait(false);
        }
    }

    private async Task ConnectAsync(MqttClient client, CancellationToken cancellationToken)
    {
        var connected = await client.ConnectAsync(cancellationToken).ConfigureAwait(false);
        if (!connected.IsSuccess)
        {
            throw new EdgeAgentException(EdgeAgentException.BrokerRefused, $"the broker refused the edge agent: {connected.ReasonCode}");
        }
        var subscribed = await client.SubscribeAsync(_options.Subscription, MqttQualityOfService.AtLeastOnce, cancellationToken).ConfigureAwait(false);
        if (!subscribed.IsSuccess)
        {
            throw new EdgeAgentException(EdgeAgentException.SubscribeRefused,
                $"the broker refused the subscription {_options.Subscription}: {subscribed.Items[0].ReasonCode}");
        }
        Subscribed?.Invoke(this, EventArgs.Empty);
    }

    private async Task ResubscribeAsync(MqttClient client, CancellationToken cancellationToken)
    {
        try
        {
            var subscribed = await client.SubscribeAsync(_options.Subscription, MqttQualityOfService.AtLeastOnce, cancellationToken).ConfigureAwait(false);
            if (!subscribed.IsSuccess)
            {
                _logger.LogError("The broker refused the subscription {Subscription} after a reconnect: {Reason}", _options.Subscription,
                    subscribed.Items[0].ReasonCode);
                return;
            }
            Subscribed?.Invoke(this, EventArgs.Empty);
        }
        catch (Exception e) when (e is MqttConnectionException or TimeoutException or OperationCanceledException)
        {
            // The next reconnect tries again.
            _logger.LogWarning(e, "Subscribing again after a reconnect failed");
        }
    }

    private async Task ReceiveAsync(MqttClient client, EdgeGate gate, DurableBuffer buffer, ChannelWriter<PendingAck> pending,
        CancellationToken cancellationToken)
    {
        using var encoder = new RawReadingEncoder();
        try
        {
            await foreach (var message in client.Messages.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                var received = _time.GetUtcNow();
                var outcome = await gate.EvaluateAsync(message.Topic, message.Payload, received, cancellationToken).ConfigureAwait(false);
                Task stored = Task.CompletedTask;
                switch (outcome)
                {
                    case GateForward forward:
                        var reading = forward.Reading;
                        var entry = new BufferEntry(reading.Device, reading.Batch.Seq, reading.Patient, encoder.Encode(forward), received);
                        stored = buffer.AppendAsync(entry, cancellationToken).AsTask();
                        break;
                    case GateQuarantined quarantined:
                        buffer.Quarantine(message.Topic, quarantined.Detail, message.Payload.Span, received);
                        break;
                    case GateRejected rejected:
                        _logger.LogDebug("Refused batch on {Topic}: {Reason}", message.Topic, rejected.Reason);
                        break;
                }
                await pending.WriteAsync(new PendingAck(message, stored), cancellationToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
        finally
        {
            pending.TryComplete();
        }
    }

    private static async Task AcknowledgeInOrderAsync(ChannelReader<PendingAck> pending, CancellationToken cancellationToken)
    {
        try
        {
            await foreach (var item in pending.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                // A failed append throws here and stops the agent without acknowledging: the broker redelivers.
                await item.Stored.ConfigureAwait(false);
                await item.Message.AcknowledgeAsync(cancellationToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    public void Dispose() => Metrics.Dispose();

    private sealed record PendingAck(MqttReceivedMessage Message, Task Stored);
}
