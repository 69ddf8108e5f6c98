using PatientStream.Analytics.Actors;
using PatientStream.Analytics.Tests.Support;

namespace PatientStream.Analytics.Tests.Actors;

public sealed class SqliteSnapshotStoreTests
{
    [Fact]
    public async Task Snapshots_survive_reopening_and_an_older_version_never_replaces_a_newer_one()
    {
        using var folder = new TempFolder();
        var path = folder.File("snapshots.db");
        var store = await SqliteSnapshotStore.OpenAsync(path, CancellationToken.None);

        Assert.Null(await store.LoadAsync("p", CancellationToken.None));
        await store.SaveAsync("p", new ActorSnapshot(2, new byte[] { 1, 2 }), CancellationToken.None);
        await store.SaveAsync("p", new ActorSnapshot(1, new byte[] { 9 }), CancellationToken.None);
        await store.SaveAsync("q", new ActorSnapshot(1, new byte[] { 7 }), CancellationToken.None);

        var reopened = await SqliteSnapshotStore.OpenAsync(path, CancellationToken.None);
        var p = await reopened.LoadAsync("p", CancellationToken.None);
        Assert.NotNull(p);
        Assert.Equal(2, p.Version);
        Assert.Equal(new byte[] { 1, 2 }, p.Data.ToArray());
        await reopened.SaveAsync("p", new ActorSnapshot(3, new byte[] { 3 }), CancellationToken.None);
        Assert.Equal(new byte[] { 3 }, (await reopened.LoadAsync("p", CancellationToken.None))!.Data.ToArray());
    }

    [Fact]
    public async Task A_store_from_a_newer_release_is_refused_with_a_stable_code()
    {
        using var folder = new TempFolder();
        var path = folder.File("snapshots.db");
        await using (var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={path}"))
        {
            await connection.OpenAsync();
            var command = connection.CreateCommand();
            command.CommandText = "PRAGMA user_version = 99;";
            await command.ExecuteNonQueryAsync();
        }

        var error = await Assert.ThrowsAsync<ActorRuntimeException>(() => SqliteSnapshotStore.OpenAsync(path, CancellationToken.None));
        Assert.Equal(ActorRuntimeException.StoreUnusableCode, error.Code);
    }
}
