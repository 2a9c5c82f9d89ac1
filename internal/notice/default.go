package notice

// DefaultMarkdown is version 1 of the privacy notice on a fresh install.
// It describes what this software stores and says plainly that the
// operator must complete and adapt it: only the operator knows who the
// controller is, how to reach them and what retention they configured.
const DefaultMarkdown = `# Privacy notice

> **Administrators:** this is the default text that comes with Conclave.
> Replace the parts in [brackets] and adapt it to how you run this server
> before you invite anyone. Publishing a new version asks everyone to read
> it again.

**Who is responsible:** [name and address of the organisation running this
server], contact for data protection: [e-mail address of the data
protection officer or contact person].

## What this server stores

- **Accounts** (only if you have one): your name, e-mail address, role and a
  salted hash of your password, and your login sessions.
- **Meetings:** title, host and co-hosts, settings, schedule, and who was
  removed and banned from a meeting. For guests the server stores only a
  hash of a random device token, and only to enforce such a ban.
- **Audit log:** security-relevant events such as sign-ins, joining and
  leaving meetings and moderation actions, with the time, the account or
  participant ID and the network (IP) address of the device used.
- **Consent ledger:** that you accepted this notice (which version, when,
  in which meeting) and any consent you gave to recording or transcription.

## What this server does not store

- Audio, video and screen sharing are forwarded to the other participants
  and not stored, unless a meeting is recorded, which is announced and
  needs your consent.
- Chat messages are relayed to the participants and not stored.

## Who receives your data

Nobody outside this server. Conclave contacts no third parties: no
analytics, no external fonts or scripts, no external STUN or TURN servers.
Participants in a meeting see your name and, if you turn them on, your
camera, microphone and screen.

## Why, and for how long

[The purpose and legal basis, e.g. providing video meetings under a
contract or our legitimate interest in internal communication; keeping the
audit log for the security of the service.] Data is deleted after
[retention periods configured on this server].

## Your rights

You may ask for access to your data, its correction or erasure, the
restriction of processing, and a copy of your data (data portability), and
object to processing. Write to [contact]. You may also complain to a data
protection supervisory authority.
`
