package notice

// DefaultMarkdown is the notice in force until an administrator publishes
// one, where the server was not given a text generated from its
// configuration (Service.Default; the server always is, see
// records.NoticeMarkdown). It is complete and neutral as it stands: no
// placeholders, nothing addressed to administrators, since participants
// read it before anyone may have reviewed it.
const DefaultMarkdown = `# Privacy notice

## Who is responsible

This video conferencing server is run by the organisation that invited you
to a meeting; it is the controller of your personal data. For questions
about your data, ask the person who invited you or the organisation's usual
contact.

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
  in which meeting).
- **Chat:** the messages written in a meeting, encrypted, with who sent
  them to whom and when, until the retention period ends. Besides the
  people they were sent to, administrators and privacy officers can read
  them to answer a data protection request (each reading is recorded);
  where the host chose so, participants with an account can read the chat
  they were part of after the meeting.

## What this server does not store

- Audio, video and screen sharing are forwarded to the other participants
  and not stored.

## Who receives your data

Nobody outside the organisation. Conclave contacts no third parties: no
analytics, no external fonts or scripts, no external STUN or TURN servers.
Participants in a meeting see your name and, if you turn them on, your
camera, microphone and screen.

## How long it is kept

Data is deleted automatically when the retention periods configured on
this server end; the page "What is stored about you", linked before you
join, lists them.

## Your rights

You may ask for access to your data, its correction or erasure, the
restriction of processing, and a copy of your data (data portability), and
object to processing. You may also complain to a data protection
supervisory authority.
`
