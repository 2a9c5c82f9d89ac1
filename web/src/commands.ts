// Host, co-host and chat commands as protocol messages (docs/protocol.md
// "Host and co-host messages"). The server checks every one of them.

import type { ModActions } from './panelmodel';
import type { SendFn } from './rtc';

export function modCommands(send: SendFn): ModActions {
  return {
    admit: (id) => void send('admit', id === null ? { all: true } : { participant_id: id }),
    deny: (id) => void send('deny', id === null ? { all: true } : { participant_id: id }),
    lock: (locked) => void send('lock', { locked }),
    settings: (change) => void send('settings', change),
    endMeeting: () => void send('end_meeting', {}),
    remove: (id, ban) => void send('remove', { participant_id: id, ban }),
    mute: (id, source) => void send('mute', { participant_id: id, source }),
    askUnmute: (id, source) => void send('ask_unmute', { participant_id: id, source }),
    setRole: (id, role) => void send('set_role', { participant_id: id, role }),
    chat: (text, to) => void send('chat', to.length === 0 ? { text } : { text, to }),
    deleteChat: (id) => void send('chat_delete', { id }),
  };
}
