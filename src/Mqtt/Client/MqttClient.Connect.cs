using System.Buffers;
using Microsoft.Extensions.Logging;
using PatientStream.Mqtt.Client;
using PatientStream.Mqtt.Formatter;
using PatientStream.Mqtt.Packets;
using PatientStream.Mqtt.Transport;

namespace PatientStream.Mqtt;

public sealed partial class MqttClient
{
    private async Task<MqttConnectResult> ConnectCoreAsync(bool isReconnect, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _disposed.Token);
        timeout.CancelAfter(_options.ConnectTimeout);
        Stream stream;
        try
        {
            stream = await MqttTransport.ConnectAsync(_options, timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException ex) when (!cancellationToken.IsCancellationRequested)
        {
            throw new MqttConnectionException(MqttConnectionError.ConnectTimeout, "Connecting to the MQTT broker timed out.", ex);
        }
        var connection = new MqttConnection(stream, _options.ProtocolVersion);
        MqttConnAckPacket connAck;
        try
        {
            var encoder = new MqttPacketEncoder(_options.ProtocolVersion);
            var connect = encoder.Encode(CreateConnectPacket());
            await stream.WriteAsync(connect, timeout.Token).ConfigureAwait(false);
            await stream.FlushAsync(timeout.Token).ConfigureAwait(false);
            connAck = await ReadConnAckAsync(connection, timeout.Token).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw ex switch
            {
                OperationCanceledException when !cancellationToken.IsCancellationRequested =>
                    new MqttConnectionException(MqttConnectionError.ConnectTimeout, "The MQTT broker did not answer CONNECT in time.", ex),
                IOException or System.Net.Sockets.SocketException =>
                    new MqttConnectionException(MqttConnectionError.TransportFailed, "The MQTT broker closed the connection during CONNECT.", ex),
                _ => ex,
            };
        }

        var result = MqttConnectResult.From(connAck, _options.ProtocolVersion);
        if (!result.IsSuccess)
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            return result;
        }
        if (!result.SessionPresent)
        {
            _session.ClearInbound();
        }
        connection.MaximumOutgoingPacketSize = result.MaximumPacketSize ?? uint.MaxValue;
        connection.OutgoingTopicAliasMaximum = _options.UseTopicAliases ? result.TopicAliasMaximum : (ushort)0;
        connection.IncomingTopicAliasMaximum = _options.ProtocolVersion == MqttProtocolVersion.V500 ? _options.TopicAliasMaximum : (ushort)0;
        connection.KeepAlive = result.ServerKeepAlive is { } serverKeepAlive ? TimeSpan.FromSeconds(serverKeepAlive) : _options.KeepAlive;
        connection.LastWrittenTicks = Environment.TickCount64;
        _window.SetLimit(Math.Min(_options.MaxInflight, (int)result.ReceiveMaximum));

        _connection = connection;
        _everConnected = true;
        connection.WriteLoop = Task.Run(() => WriteLoopAsync(connection), CancellationToken.None);
        connection.ReadLoop = Task.Run(() => ReadLoopAsync(connection), CancellationToken.None);
        connection.KeepAliveLoop = Task.Run(() => KeepAliveLoopAsync(connection), CancellationToken.None);
        _logger.LogInformation("MQTT connected to {Host}:{Port} ({Version}), session present: {SessionPresent}",
            _options.Host, _options.Port, _options.ProtocolVersion, result.SessionPresent);
        if (isReconnect && !result.SessionPresent)
        {
            await RestoreSubscriptionsAsync(cancellationToken).ConfigureAwait(false);
        }
        RaiseConnected(result, isReconnect);
        return result;
    }

    private MqttConnectPacket CreateConnectPacket()
    {
        var v5 = _options.ProtocolVersion == MqttProtocolVersion.V500;
        MqttProperties? properties = null;
        if (v5)
        {
            properties = new MqttProperties
            {
                SessionExpiryInterval = _options.SessionExpiryInterval ?? (_options.CleanSession ? null : uint.MaxValue),
                ReceiveMaximum = (ushort)Math.Min(_options.ReceiveBufferCapacity, ushort.MaxValue),
                MaximumPacketSize = _options.MaximumPacketSize,
                TopicAliasMaximum = _options.TopicAliasMaximum == 0 ? null : _options.TopicAliasMaximum,
            };
            foreach (var user in _options.UserProperties)
            {
                properties.UserProperties.Add(user);
            }
        }
        MqttWillPacket? will = null;
        if (_options.Will is { } w)
        {
            var willProperties = w.ToProperties(_options.ProtocolVersion);
            if (v5 && _options.WillDelayInterval is { } delay)
            {
                willProperties ??= new MqttProperties();
                willProperties.WillDelayInterval = delay;
            }
            will = new MqttWillPacket(w.Topic, w.Payload, w.QualityOfService, w.Retain) { Properties = willProperties };
        }
        return new MqttConnectPacket
        {
            ProtocolVersion = _options.ProtocolVersion,
            ClientId = _options.ClientId,
            CleanSession = _options.CleanSession,
            KeepAliveSeconds = (ushort)_options.KeepAlive.TotalSeconds,
            UserName = _options.UserName,
            Password = _options.Password,
            Will = will,
            Properties = properties,
        };
    }

    private async Task<MqttConnAckPacket> ReadConnAckAsync(MqttConnection connection, CancellationToken cancellationToken)
    {
        while (true)
        {
            var read = await connection.Reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            var buffer = read.Buffer;
            if (MqttFrameReader.TryReadFrame(ref buffer, _options.MaximumPacketSize, out var header, out var body))
            {
                var packet = Decode(header, body);
                // Only the CONNACK frame is consumed: packets the broker sends right after it stay for the read loop.
                connection.Reader.AdvanceTo(buffer.Start);
                return packet as MqttConnAckPacket
                    ?? throw new MqttProtocolException(MqttProtocolError.UnexpectedPacket, $"Expected CONNACK, received {packet.Type}.");
            }
            connection.Reader.AdvanceTo(buffer.Start, buffer.End);
            if (read.IsCompleted)
            {
                throw new IOException("The broker closed the connection before CONNACK.");
            }
        }
    }

    private MqttPacket Decode(byte header, ReadOnlySequence<byte> body)
    {
        if (body.IsSingleSegment)
        {
            return MqttPacketDecoder.Decode(header, body.FirstSpan, _options.ProtocolVersion);
        }
        // The frame reader already bounded the length by the maximum packet size, so this rent is bounded too.
        var length = (int)body.Length;
        var rented = ArrayPool<byte>.Shared.Rent(length);
        try
        {
            body.CopyTo(rented);
            return MqttPacketDecoder.Decode(header, rented.AsSpan(0, length), _options.ProtocolVersion);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    private async Task RestoreSubscriptionsAsync(CancellationToken cancellationToken)
    {
        var subscriptions = _session.Subscriptions();
        if (subscriptions.Count == 0)
        {
            return;
        }
        try
        {
            var result = await SubscribeAsync(subscriptions, cancellationToken).ConfigureAwait(false);
            _logger.LogInformation("Restored {Count} MQTT subscriptions; all granted: {Granted}", subscriptions.Count, result.IsSuccess);
        }
        catch (Exception ex) when (ex is MqttConnectionException or TimeoutException)
        {
            _logger.LogWarning(ex, "Restoring MQTT subscriptions failed; the connection will be retried");
        }
    }

    /// <summary>
    /// Tears a connection down once (whoever notices first), fails what cannot survive it, and starts the reconnect
    /// loop when the loss was not asked for.
    /// </summary>
    private async Task EndConnectionAsync(MqttConnection connection, MqttDisconnectInfo info)
    {
        if (!connection.TryEnd())
        {
            return;
        }
        connection.Cancel();
        connection.Control.Writer.TryComplete();
        await SafeAwait(connection.ReadLoop).ConfigureAwait(false);
        await SafeAwait(connection.WriteLoop).ConfigureAwait(false);
        await SafeAwait(connection.KeepAliveLoop).ConfigureAwait(false);
        await connection.DisposeAsync().ConfigureAwait(false);

        var reconnect = _options.AutoReconnect && !_stopped && !_disposed.IsCancellationRequested;
        var lost = new MqttConnectionException(MqttConnectionError.ConnectionLost, "The connection to the MQTT broker was lost.", info.Exception);
        _session.FailRequests(lost);
        while (connection.Control.Reader.TryRead(out var item))
        {
            item.Written?.TrySetException(lost);
        }
        if (!reconnect && !_stopped)
        {
            FailAllPublishes(lost);
            FailQueued(lost);
        }
        if (info.ByServer || info.Exception is not null)
        {
            _logger.LogWarning(info.Exception, "MQTT connection ended: {Reason} (by server: {ByServer}) {ReasonString}",
                info.ReasonCode, info.ByServer, info.ReasonString);
        }
        RaiseDisconnected(info with { WillReconnect = reconnect });
        if (reconnect)
        {
            _reconnectLoop = Task.Run(ReconnectLoopAsync, CancellationToken.None);
        }
    }

    /// <summary>Called from inside a loop: ends the connection on another task so the loop can finish first.</summary>
    private void ScheduleEnd(MqttConnection connection, MqttDisconnectInfo info)
    {
        if (!connection.HasEnded)
        {
            _ = Task.Run(async () =>
            {
                try
                {
                    await EndConnectionAsync(connection, info).ConfigureAwait(false);
                }
#pragma warning disable CA1031 // Nobody awaits this task: a failure here must be logged, not left unobserved.
                catch (Exception ex)
#pragma warning restore CA1031
                {
                    _logger.LogError(ex, "Ending an MQTT connection failed");
                }
            }, CancellationToken.None);
        }
    }

    private static async Task SafeAwait(Task task)
    {
        // The loops report their own failures through EndConnectionAsync; here only their completion matters.
        try
        {
            await task.ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or MqttConnectionException or ObjectDisposedException)
        {
        }
    }

    private async Task ReconnectLoopAsync()
    {
        var attempt = 0;
        while (!_stopped && !_disposed.IsCancellationRequested)
        {
            var delay = NextBackoff(attempt++);
            try
            {
                await Task.Delay(delay, _disposed.Token).ConfigureAwait(false);
                await _connectGate.WaitAsync(_disposed.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            try
            {
                if (_stopped || IsConnected)
                {
                    return;
                }
                var result = await ConnectCoreAsync(isReconnect: true, _disposed.Token).ConfigureAwait(false);
                if (result.IsSuccess)
                {
                    return;
                }
                _logger.LogWarning("MQTT reconnect refused: {Reason} {ReasonString}", result.ReasonCode, result.ReasonString);
            }
            catch (Exception ex) when (ex is MqttConnectionException or MqttProtocolException or OperationCanceledException)
            {
                _logger.LogDebug(ex, "MQTT reconnect attempt {Attempt} failed", attempt);
            }
            finally
            {
                _connectGate.Release();
            }
        }
    }

    /// <summary>Exponential backoff with "equal jitter": half fixed, half random, so a fleet does not reconnect in step.</summary>
    private TimeSpan NextBackoff(int attempt)
    {
        var baseMs = _options.ReconnectDelay.TotalMilliseconds * Math.Pow(2, Math.Min(attempt, 20));
        var capped = Math.Min(baseMs, _options.MaxReconnectDelay.TotalMilliseconds);
#pragma warning disable CA5394 // Jitter, not security.
        return TimeSpan.FromMilliseconds(capped / 2 + Random.Shared.NextDouble() * capped / 2);
#pragma warning restore CA5394
    }
}
