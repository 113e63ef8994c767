using System.Data.Common;
using Weasel.Core;
using Weasel.Postgresql;
using DbCommandBuilder = Weasel.Core.DbCommandBuilder;

namespace ModelRegistry.Common;

/// <summary>
/// A PostgreSQL extension created where the server offers it, and nothing missing where it does not: what uses it asks
/// <c>pg_extension</c> and does without. Weasel's own <see cref="Extension"/> would fail the start on such a server.
/// </summary>
internal sealed class OptionalExtension(string name) : ISchemaObject
{
    public DbObjectName Identifier { get; } = new PostgresqlObjectName("public", name, SchemaUtils.IdentifierUsage.General);

    public void WriteCreateStatement(Migrator migrator, TextWriter writer) => writer.WriteLine($"CREATE EXTENSION IF NOT EXISTS {name};");

    // Without CASCADE: a rollback refuses while indexes use it rather than dropping them.
    public void WriteDropStatement(Migrator rules, TextWriter writer) => writer.WriteLine($"DROP EXTENSION IF EXISTS {name};");

    public void ConfigureQueryCommand(DbCommandBuilder builder)
    {
        builder.Append("SELECT EXISTS (SELECT 1 FROM pg_extension WHERE extname = ");
        builder.AppendParameter(name);
        builder.Append("), EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = ");
        builder.AppendParameter(name);
        builder.Append(");");
    }

    public async Task<ISchemaObjectDelta> CreateDeltaAsync(DbDataReader reader, CancellationToken ct = default)
    {
        await reader.ReadAsync(ct);
        var missing = !reader.GetBoolean(0) && reader.GetBoolean(1);
        return new SchemaObjectDelta(this, missing ? SchemaPatchDifference.Create : SchemaPatchDifference.None);
    }

    public IEnumerable<DbObjectName> AllNames() => [Identifier];
}
