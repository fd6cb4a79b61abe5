//! The evaluation sentences.

/// One English sentence: what espeak-ng says, which is also the reference transcript.
pub const ENGLISH: [&str; 20] = [
    "yes I am interested",
    "no thanks I am busy",
    "please call me back tomorrow",
    "I am not interested",
    "can you send me more information by email",
    "my phone number is five five five one two three four",
    "I would like to speak to a manager",
    "please remove me from your list",
    "the appointment is on Monday at ten",
    "I can pay twenty dollars per month",
    "call me after five in the evening",
    "my account number is one two three four five six",
    "what is this call about",
    "I already have insurance",
    "sorry I did not hear you",
    "yes that is correct",
    "the delivery date is the third of March",
    "I need to check with my wife first",
    "how much does it cost",
    "goodbye and have a nice day",
];

/// One Mandarin sentence: the hanzi reference and the tone-numbered pinyin espeak-ng speaks.
#[derive(Debug, Clone, Copy)]
pub struct Mandarin {
    /// Reference transcript (simplified characters, no punctuation).
    pub hanzi: &'static str,
    /// What espeak-ng's `cmn-latn-pinyin` voice is given.
    pub pinyin: &'static str,
}

/// The experimental Mandarin set.
pub const MANDARIN: [Mandarin; 10] = [
    Mandarin {
        hanzi: "你好",
        pinyin: "ni3 hao3",
    },
    Mandarin {
        hanzi: "我不需要",
        pinyin: "wo3 bu4 xu1 yao4",
    },
    Mandarin {
        hanzi: "我很忙",
        pinyin: "wo3 hen3 mang2",
    },
    Mandarin {
        hanzi: "请明天再打给我",
        pinyin: "qing3 ming2 tian1 zai4 da3 gei3 wo3",
    },
    Mandarin {
        hanzi: "我有兴趣",
        pinyin: "wo3 you3 xing4 qu4",
    },
    Mandarin {
        hanzi: "谢谢再见",
        pinyin: "xie4 xie4 zai4 jian4",
    },
    Mandarin {
        hanzi: "多少钱",
        pinyin: "duo1 shao3 qian2",
    },
    Mandarin {
        hanzi: "我想续保",
        pinyin: "wo3 xiang3 xu4 bao3",
    },
    Mandarin {
        hanzi: "今天下午三点",
        pinyin: "jin1 tian1 xia4 wu3 san1 dian3",
    },
    Mandarin {
        hanzi: "不好意思我听不清楚",
        pinyin: "bu4 hao3 yi4 si5 wo3 ting1 bu4 qing1 chu3",
    },
];
