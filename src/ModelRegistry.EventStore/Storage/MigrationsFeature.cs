using System.Data.Common;
using System.Globalization;
using System.Xml.Linq;
using Weasel.Core;
using Weasel.Core.Migrations;
using Weasel.Postgresql;

namespace ModelRegistry.EventStore.Storage;

/// <summary>
/// The numbered migrations as a part of Marten's schema, so whatever applies, checks or scripts Marten's schema
/// (start-up, <c>db-apply</c>, <c>db-assert</c>, <c>db-patch</c>, <c>db-dump</c>, <c>resources setup</c>) covers them too. It comes
/// after Marten's own tables, which migrations may index. A migration counts as applied once its id is in
/// <c>mr_schema_migrations</c>, the table <see cref="SchemaMigrator"/> keeps; Marten applies the patch under its global lock.
/// </summary>
internal sealed class MigrationsFeature(Migrator migrator, IEnumerable<Migration> migrations) : FeatureSchemaBase("registry_migrations", migrator)
{
    private readonly MigrationsObject _migrations = new(SchemaMigrator.Ordered(migrations));

    protected override IEnumerable<ISchemaObject> schemaObjects() => [_migrations];
}

/// <summary>The ledger table with every migration; its delta is the migrations not applied yet.</summary>
internal sealed class MigrationsObject(IReadOnlyList<Migration> migrations) : ISchemaObject
{
    // Unqualified like every migration: they apply in the connection's current schema.
    private const string Table = "mr_schema_migrations";

    public DbObjectName Identifier { get; } = new PostgresqlObjectName("public", Table, SchemaUtils.IdentifierUsage.General);

    public IReadOnlyList<Migration> Migrations => migrations;

    public void WriteCreateStatement(Migrator migrator, TextWriter writer) => Write(writer, migrations);

    // Migrations are never undone.
    public void WriteDropStatement(Migrator rules, TextWriter writer)
    {
    }

    // The ids applied, as XML (a missing table reads as null): the query must parse before the table exists. It ends its
    // statement, since Weasel sends the queries of every object in one batch.
    public void ConfigureQueryCommand(Weasel.Core.DbCommandBuilder builder) => builder.Append(
        $"SELECT CASE WHEN to_regclass('{Table}') IS NULL THEN NULL ELSE query_to_xml('SELECT id FROM {Table}', false, false, '')::text END;");

    public async Task<ISchemaObjectDelta> CreateDeltaAsync(DbDataReader reader, CancellationToken ct = default)
    {
        string? applied = null;
        if (await reader.ReadAsync(ct) && !await reader.IsDBNullAsync(0, ct))
        {
            applied = reader.GetString(0);
        }

        if (applied is null)
        {
            return new MigrationsDelta(this, SchemaPatchDifference.Create, migrations);
        }

        var ids = XDocument.Parse(applied).Descendants("id").Select(e => int.Parse(e.Value, CultureInfo.InvariantCulture)).ToHashSet();
        var pending = migrations.Where(m => !ids.Contains(m.Id)).ToList();
        return new MigrationsDelta(this, pending.Count == 0 ? SchemaPatchDifference.None : SchemaPatchDifference.Update, pending);
    }

    public IEnumerable<DbObjectName> AllNames() => [Identifier];

    /// <summary>The ledger table, then each migration with its ledger row, in order.</summary>
    internal static void Write(TextWriter writer, IEnumerable<Migration> pending)
    {
        writer.WriteLine($"CREATE TABLE IF NOT EXISTS {Table} (id int PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now());");
        foreach (var migration in pending)
        {
            writer.WriteLine($"-- migration {migration.Id}: {migration.Name}");
            writer.WriteLine(migration.Sql.TrimEnd());
            writer.WriteLine(";");
            writer.WriteLine($"INSERT INTO {Table} (id, name) VALUES ({migration.Id}, '{migration.Name.Replace("'", "''", StringComparison.Ordinal)}') ON CONFLICT (id) DO NOTHING;");
        }
    }
}

internal sealed class MigrationsDelta(MigrationsObject migrations, SchemaPatchDifference difference, IReadOnlyList<Migration> pending) : ISchemaObjectDelta
{
    public ISchemaObject SchemaObject => migrations;

    public SchemaPatchDifference Difference => difference;

    public IReadOnlyList<Migration> Pending => pending;

    public void WriteUpdate(Migrator rules, TextWriter writer) => MigrationsObject.Write(writer, pending);

    public void WriteRollback(Migrator rules, TextWriter writer)
    {
    }

    public void WriteRestorationOfPreviousState(Migrator rules, TextWriter writer)
    {
    }
}
