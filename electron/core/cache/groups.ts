/** Groups I am or was in, and their members. */
import type { GroupMemberView, GroupRole, GroupView } from '../../../shared/ipc';
import type { ApplyChange, GroupRepository, MemberRepository } from './api';
import type { WireGroup, WireGroupMember } from '../wire';
import type { CacheContext } from './context';
import type { Presence } from './contacts';
import type { Profiles } from './profiles';
import { groupRole, num } from '../wire';

interface GroupRow {
  id: number;
  name: string;
  owner_id: number;
  member_count: number;
  my_role: GroupRole | null;
  dissolved: number;
  updated_at: number;
  seq: number;
}

function groupFromRow(r: GroupRow): GroupView {
  const g: GroupView = { id: r.id, name: r.name, ownerId: r.owner_id, memberCount: r.member_count, dissolved: r.dissolved !== 0 };
  if (r.my_role !== null) g.myRole = r.my_role;
  return g;
}

export class Groups implements GroupRepository {
  constructor(private readonly ctx: CacheContext) {}

  apply(w: WireGroup, seq = 0): { change: ApplyChange; group: GroupView } {
    const id = num(w.groupId);
    return this.ctx.db.transaction(() => {
      const cur = this.ctx.db.stmt<[number], GroupRow>(`SELECT * FROM chat_groups WHERE id = ?`).get(id);
      const updatedAt = num(w.updatedAt);
      if (cur && (seq < cur.seq || updatedAt < cur.updated_at)) return { change: 'unchanged' as const, group: groupFromRow(cur) };
      const next: GroupRow = {
        id,
        name: w.name,
        owner_id: num(w.ownerId),
        member_count: w.memberCount,
        my_role: groupRole.fromWire(w.myRole) ?? null,
        dissolved: w.dissolved ? 1 : 0,
        updated_at: updatedAt,
        seq: Math.max(seq, cur?.seq ?? 0),
      };
      this.ctx.db
        .stmt(
          `INSERT INTO chat_groups (id, name, owner_id, member_count, my_role, dissolved, created_at, updated_at, seq)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
           ON CONFLICT (id) DO UPDATE SET name = excluded.name, owner_id = excluded.owner_id, member_count = excluded.member_count,
             my_role = excluded.my_role, dissolved = excluded.dissolved, updated_at = excluded.updated_at, seq = excluded.seq`,
        )
        .run(id, next.name, next.owner_id, next.member_count, next.my_role, next.dissolved, num(w.createdAt), next.updated_at, next.seq);
      const same =
        cur &&
        cur.name === next.name &&
        cur.owner_id === next.owner_id &&
        cur.member_count === next.member_count &&
        cur.my_role === next.my_role &&
        cur.dissolved === next.dissolved;
      return { change: !cur ? ('inserted' as const) : same ? ('unchanged' as const) : ('updated' as const), group: groupFromRow(next) };
    });
  }

  get(groupId: number): GroupView | undefined {
    const r = this.ctx.db.stmt<[number], GroupRow>(`SELECT * FROM chat_groups WHERE id = ?`).get(groupId);
    return r ? groupFromRow(r) : undefined;
  }

  list(): GroupView[] {
    return this.ctx.db
      .stmt<[], GroupRow>(`SELECT * FROM chat_groups ORDER BY (my_role IS NOT NULL AND dissolved = 0) DESC, name COLLATE NOCASE, id`)
      .all()
      .map(groupFromRow);
  }

  remove(groupId: number): boolean {
    return this.ctx.db.transaction(() => {
      this.ctx.db.stmt(`DELETE FROM group_members WHERE group_id = ?`).run(groupId);
      return this.ctx.db.stmt(`DELETE FROM chat_groups WHERE id = ?`).run(groupId).changes > 0;
    });
  }
}

interface MemberRow {
  group_id: number;
  user_id: number;
  role: GroupRole;
  username: string | null;
  nickname: string | null;
  avatar: string | null;
  signature: string | null;
}

const MEMBER_SELECT = `
  SELECT gm.group_id, gm.user_id, gm.role, p.username, p.nickname, p.avatar, p.signature
  FROM group_members gm LEFT JOIN profiles p ON p.user_id = gm.user_id`;

export class Members implements MemberRepository {
  constructor(
    private readonly ctx: CacheContext,
    private readonly profiles: Profiles,
    private readonly presence: Presence,
  ) {}

  private memberFromRow(r: MemberRow): GroupMemberView {
    return {
      groupId: r.group_id,
      userId: r.user_id,
      role: r.role,
      profile: { userId: r.user_id, username: r.username ?? '', nickname: r.nickname ?? '', avatar: r.avatar ?? '', signature: r.signature ?? '' },
      online: this.presence.get(r.user_id).online,
    };
  }

  apply(w: WireGroupMember, seq = 0): { change: ApplyChange; member?: GroupMemberView } {
    const groupId = num(w.groupId);
    const userId = num(w.userId);
    const role = groupRole.fromWire(w.role);
    return this.ctx.db.transaction(() => {
      const profileChanged = w.profile ? this.profiles.upsert(w.profile) : false;
      const cur = this.ctx.db
        .stmt<[number, number], { role: GroupRole | null; seq: number }>(`SELECT role, seq FROM group_members WHERE group_id = ? AND user_id = ?`)
        .get(groupId, userId);
      if (cur && seq < cur.seq) return { change: 'unchanged' as const, member: this.get(groupId, userId) };
      if (!role) {
        // Left or removed: the row stays with no role, so its seq still orders later events.
        if (!cur) {
          this.ctx.db.stmt(`INSERT INTO group_members (group_id, user_id, role, joined_at, seq) VALUES (?, ?, NULL, 0, ?)`).run(groupId, userId, seq);
          return { change: 'unchanged' as const };
        }
        this.ctx.db.stmt(`UPDATE group_members SET role = NULL, seq = max(seq, ?) WHERE group_id = ? AND user_id = ?`).run(seq, groupId, userId);
        return { change: cur.role === null ? ('unchanged' as const) : ('updated' as const) };
      }
      this.ctx.db
        .stmt(`INSERT INTO group_members (group_id, user_id, role, joined_at, seq) VALUES (?, ?, ?, ?, ?)
               ON CONFLICT (group_id, user_id) DO UPDATE SET role = excluded.role, joined_at = excluded.joined_at, seq = max(group_members.seq, excluded.seq)`)
        .run(groupId, userId, role, num(w.joinedAt), seq);
      const change: ApplyChange = !cur ? 'inserted' : cur.role !== role || profileChanged ? 'updated' : 'unchanged';
      return { change, member: this.get(groupId, userId) };
    });
  }

  replaceAll(groupId: number, members: readonly WireGroupMember[]): GroupMemberView[] {
    return this.ctx.db.transaction(() => {
      this.ctx.db.stmt(`DELETE FROM group_members WHERE group_id = ?`).run(groupId);
      for (const m of members) if (num(m.groupId) === groupId) this.apply(m);
      return this.list(groupId);
    });
  }

  list(groupId: number): GroupMemberView[] {
    return this.ctx.db
      .stmt<[number], MemberRow>(
        `${MEMBER_SELECT} WHERE gm.group_id = ? AND gm.role IS NOT NULL
         ORDER BY CASE gm.role WHEN 'owner' THEN 0 WHEN 'admin' THEN 1 ELSE 2 END,
                  coalesce(nullif(p.nickname, ''), p.username, '') COLLATE NOCASE, gm.user_id`,
      )
      .all(groupId)
      .map((r) => this.memberFromRow(r));
  }

  get(groupId: number, userId: number): GroupMemberView | undefined {
    const r = this.ctx.db.stmt<[number, number], MemberRow>(`${MEMBER_SELECT} WHERE gm.group_id = ? AND gm.user_id = ? AND gm.role IS NOT NULL`).get(groupId, userId);
    return r ? this.memberFromRow(r) : undefined;
  }

  count(groupId: number): number {
    return this.ctx.db.stmt<[number], { n: number }>(`SELECT count(*) AS n FROM group_members WHERE group_id = ? AND role IS NOT NULL`).get(groupId)?.n ?? 0;
  }
}
